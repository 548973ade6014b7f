// microexp_emg.ino - Arduino Mega 2560 firmware for microexp-tui (wire protocol v1).
//
// Reads up to 16 EMG sensors (Muscle Sensor V3 SIG or MyoWare ENV/RAW on A0..A15) at a
// fixed rate set by a Timer1 interrupt, converts them with an interrupt-driven ADC scan
// and streams checksummed, sequence-numbered frames on the USB serial port at 500000
// baud. Digital pin 2 is the TTL trigger input (rising edge -> marker 0x0400); the LED
// on pin 13 is off when idle, on while streaming and blinks when a stream lost data.
//
// Arduino IDE: open this folder, Tools > Board > "Arduino Mega or Mega 2560",
// Processor "ATmega2560", then Upload. Command line: see firmware/README.md.
//
// The work is done in mx_firmware.c with direct register access; this sketch does not
// use Serial (the firmware owns USART0 and its interrupt vectors) nor millis()/delay().

#include "mx_firmware.h"

void setup() {
  mx_setup();
}

void loop() {
  mx_loop();
}
