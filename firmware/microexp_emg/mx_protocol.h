/*
 * mx_protocol.h - wire protocol v1 (firmware/PROTOCOL.md) in portable C.
 *
 * Shared by the Mega 2560 firmware (avr-gcc) and the host-side C tests (gcc), which
 * check it against the golden vectors in firmware/vectors/. No hardware access here:
 * CRC, frame encoders, payload builders/parsers and the byte-stream receiver.
 */
#ifndef MX_PROTOCOL_H
#define MX_PROTOCOL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MX_PROTOCOL_VERSION 1u
#define MX_SYNC0 0xA5u
#define MX_SYNC1 0x5Au
#define MX_HEADER_BYTES 6u   /* sync(2) type(1) seq(2) len(1) */
#define MX_CRC_BYTES 2u
#define MX_OVERHEAD_BYTES (MX_HEADER_BYTES + MX_CRC_BYTES)
#define MX_MAX_PAYLOAD 255u
#define MX_MAX_FRAME_BYTES (MX_OVERHEAD_BYTES + MX_MAX_PAYLOAD)
#define MX_MAX_CHANNELS 16u
#define MX_MIN_CHANNELS 1u
#define MX_MIN_RATE_HZ 250u
#define MX_MAX_RATE_HZ 2000u
/* Channels x rate ceiling of the ATmega2560 ADC at its 125 kHz datasheet clock. */
#define MX_ADC_BUDGET_SPS 9600ul
#define MX_MAX_NAME_BYTES 32u

/* Fixed payload sizes (PROTOCOL.md). */
#define MX_IDENTITY_FIXED_BYTES 12u
#define MX_MARKER_PAYLOAD_BYTES 7u
#define MX_STATUS_PAYLOAD_BYTES 16u
#define MX_ACK_PAYLOAD_BYTES 4u

/* Device -> host frame types. */
enum {
    MX_FRAME_SAMPLES = 0x01,
    MX_FRAME_IDENTITY = 0x02,
    MX_FRAME_MARKER = 0x03,
    MX_FRAME_STATUS = 0x04,
    MX_FRAME_ACK = 0x05
};

/* Host -> device commands. */
enum {
    MX_CMD_HELLO = 0x81,
    MX_CMD_START = 0x82,
    MX_CMD_STOP = 0x83,
    MX_CMD_SET_RATE = 0x84,
    MX_CMD_SET_CHANNELS = 0x85,
    MX_CMD_MARKER = 0x86,
    MX_CMD_PING = 0x87
};

/* ACK result byte; also STATUS.last_error. */
enum {
    MX_ACK_OK = 0,
    MX_ACK_BAD_ARGUMENT = 1,
    MX_ACK_UNSUPPORTED = 2,
    MX_ACK_BUSY = 3,
    MX_ACK_EXCEEDS_ADC = 4
};

enum { MX_BOARD_UNKNOWN = 0x00, MX_BOARD_MEGA2560 = 0x01, MX_BOARD_SIMULATOR = 0xFE };
enum { MX_SENSOR_ENVELOPE = 0, MX_SENSOR_RAW = 1 };
enum { MX_MARKER_HOST = 0, MX_MARKER_TRIGGER = 1, MX_MARKER_DEVICE = 2 };
enum { MX_STATE_IDLE = 0, MX_STATE_STREAMING = 1, MX_STATE_ERROR = 2 };

#define MX_IDENTITY_FLAG_SIMULATED 0x01u
#define MX_IDENTITY_FLAG_STREAMING 0x02u
#define MX_MARKER_CODE_TRIGGER 0x0400u

typedef struct {
    uint8_t protocol_version;
    uint8_t fw_major, fw_minor, fw_patch;
    uint8_t board_id;
    uint8_t flags;
    uint8_t channel_count;
    uint16_t sample_rate_hz;
    uint8_t adc_bits;
    uint16_t adc_vref_mv;
    uint8_t sensor_kinds[MX_MAX_CHANNELS];
    uint8_t name_len;
    char name[MX_MAX_NAME_BYTES];
} mx_identity_t;

typedef struct {
    uint32_t samples_acquired;
    uint32_t tx_overflow_frames;
    uint32_t adc_overruns;
    uint16_t rx_errors;
    uint8_t state;
    uint8_t last_error;
} mx_status_t;

typedef struct {
    uint32_t sample_index;
    uint16_t code;
    uint8_t source;
} mx_marker_t;

typedef struct {
    uint8_t command;
    uint16_t command_seq;
    uint8_t result;
} mx_ack_t;

/* ---- CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no xorout) ---- */
#define MX_CRC_INIT 0xFFFFu
uint16_t mx_crc16_update(uint16_t crc, uint8_t byte);
uint16_t mx_crc16(const uint8_t *data, uint16_t len);

/* ---- encoders: return the number of bytes written ---- */

/* Whole frame into `out` (8 + len bytes). `payload` may already sit at out + 6
 * (built in place), which saves a copy on the board. */
uint16_t mx_encode_frame(uint8_t *out, uint8_t type, uint16_t seq, const uint8_t *payload,
                         uint8_t len);
uint8_t mx_samples_payload(uint8_t *out, const uint16_t *counts, uint8_t channels);
uint8_t mx_identity_payload(uint8_t *out, const mx_identity_t *identity);
uint8_t mx_status_payload(uint8_t *out, const mx_status_t *status);
uint8_t mx_marker_payload(uint8_t *out, const mx_marker_t *marker);
uint8_t mx_ack_payload(uint8_t *out, const mx_ack_t *ack);
/* A host command: SET_RATE and MARKER take a u16 argument, SET_CHANNELS a u8. */
uint16_t mx_encode_command(uint8_t *out, uint8_t command, uint16_t seq, uint16_t argument);

/* ---- parsers: 0 on success, -1 when the payload does not fit the type ---- */
int mx_parse_identity(const uint8_t *payload, uint8_t len, mx_identity_t *out);
int mx_parse_status(const uint8_t *payload, uint8_t len, mx_status_t *out);
int mx_parse_marker(const uint8_t *payload, uint8_t len, mx_marker_t *out);
int mx_parse_ack(const uint8_t *payload, uint8_t len, mx_ack_t *out);
int mx_parse_samples(const uint8_t *payload, uint8_t len, uint8_t channels, uint16_t *counts);

/* Whether a CRC-valid frame's payload has the size its type requires (unknown types: no).
 * SAMPLES must carry 2 x channels bytes; IDENTITY must parse. */
uint8_t mx_payload_fits(uint8_t type, const uint8_t *payload, uint8_t len, uint8_t channels);

/* Whether a channel count and rate are acceptable: MX_ACK_OK, MX_ACK_BAD_ARGUMENT (out of
 * range) or MX_ACK_EXCEEDS_ADC (channels x rate > 9600 samples/s). */
uint8_t mx_check_config(uint8_t channels, uint16_t rate_hz);

/* ---- receiver: PROTOCOL.md "Receiving" ----
 * Feed bytes with mx_rx_push and call mx_rx_poll until it returns 0 after each push.
 * A CRC failure resumes one byte after the rejected frame's first sync byte, so the
 * buffer never needs more than one maximum-size frame. */
typedef struct {
    uint8_t type;
    uint16_t seq;
    uint8_t len;
    const uint8_t *payload; /* valid until the next mx_rx_push or mx_rx_poll */
} mx_frame_t;

typedef struct {
    uint8_t buf[MX_MAX_FRAME_BYTES];
    uint16_t fill;     /* bytes held in buf */
    uint16_t consumed; /* bytes of the frame last returned, dropped on the next call */
    uint8_t channels;  /* SAMPLES payloads must be 2 x channels bytes */
    uint32_t frames;
    uint32_t crc_errors;
    uint32_t malformed;
    uint32_t garbage_bytes;
} mx_rx_t;

void mx_rx_init(mx_rx_t *rx, uint8_t channels);
/* 1 when stored; 0 when the buffer is full (only if the caller did not poll). */
uint8_t mx_rx_push(mx_rx_t *rx, uint8_t byte);
/* 1 with *out filled when a frame was accepted; 0 when more bytes are needed. */
uint8_t mx_rx_poll(mx_rx_t *rx, mx_frame_t *out);
/* Bytes held back waiting for the rest of a frame (or a trailing first sync byte). */
uint16_t mx_rx_pending(const mx_rx_t *rx);

#ifdef __cplusplus
}
#endif

#endif /* MX_PROTOCOL_H */
