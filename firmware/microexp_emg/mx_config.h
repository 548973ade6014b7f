/*
 * mx_config.h - build-time settings of the microexp Mega 2560 firmware.
 *
 * Edit here (not in mx_firmware.c) to declare raw sensors, change the baud rate or
 * resize buffers. Everything else follows from PROTOCOL.md.
 */
#ifndef MX_CONFIG_H
#define MX_CONFIG_H

#define MX_FW_MAJOR 1
#define MX_FW_MINOR 0
#define MX_FW_PATCH 0
#define MX_BOARD_NAME "microexp-mega2560"

/* USART0 (the USB serial port). Only baud rates with an exact divisor at 16 MHz and
 * U2X0 = 0 are accepted: 500000 (UBRR0 = 1, the host default) or 1000000 (UBRR0 = 0). */
#define MX_BAUD 500000UL

/* Power-up configuration (PROTOCOL.md: 8 channels at 1000 Hz). */
#define MX_DEFAULT_CHANNELS 8
#define MX_DEFAULT_RATE_HZ 1000

/* Sensor kind of each analog input A0..A15, declared in the IDENTITY frame:
 * 0 = envelope (Muscle Sensor V3 SIG, MyoWare ENV), 1 = raw (MyoWare RAW). */
#define MX_SENSOR_KINDS {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}

/* ADC clock. At the datasheet's 125 kHz (prescaler 128) a conversion chained from the
 * ADC interrupt takes 13 ADC cycles plus up to one cycle to sync with the ADC clock, at
 * most 112 us: 8 channels fit a 1 ms period with ~9% to spare. Configurations above
 * this many samples/s (up to the protocol's 9600) switch to 250 kHz (prescaler 64),
 * outside the 50-200 kHz range the datasheet gives for full 10-bit accuracy: expect
 * about one more LSB of error there. */
#define MX_ADC_125KHZ_MAX_SPS 8000UL

/* Trigger input (digital pin 2): after a rising edge, further edges within this many
 * microseconds are ringing on the same TTL pulse and make no second marker. */
#define MX_TRIGGER_HOLDOFF_US 2000UL

/* Buffers (the ATmega2560 has 8 KB of SRAM). */
#define MX_TX_BUFFER_BYTES 1024u  /* power of two; ~40 ms of 8 x 1 kHz frames */
#define MX_TX_RESERVE_BYTES 128u  /* kept free of SAMPLES so ACK/MARKER/STATUS still fit */
#define MX_RX_BUFFER_BYTES 64u    /* power of two; host commands are 8-10 bytes */
#define MX_SAMPLE_SETS 8u         /* power of two; completed scans awaiting encoding */
#define MX_TRIGGER_SLOTS 4u       /* power of two; trigger edges awaiting their MARKER */

#endif /* MX_CONFIG_H */
