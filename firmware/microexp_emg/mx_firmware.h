/*
 * mx_firmware.h - entry points of the microexp Mega 2560 firmware (mx_firmware.c),
 * called from the sketch's setup() and loop().
 */
#ifndef MX_FIRMWARE_H
#define MX_FIRMWARE_H

#ifdef __cplusplus
extern "C" {
#endif

/* Take over Timer1, the ADC, USART0, INT4 (trigger, digital pin 2) and the LED (pin 13). */
void mx_setup(void);
/* One pass of the main loop: commands, frames, markers, LED; sleeps when idle. */
void mx_loop(void);

#ifdef __cplusplus
}
#endif

#endif /* MX_FIRMWARE_H */
