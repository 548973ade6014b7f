/*
 * mx_protocol.c - wire protocol v1 in portable C (see mx_protocol.h).
 *
 * Written for an 8-bit AVR first: tables in flash, no division, byte-wise
 * little-endian access (the host tests run the very same code with gcc).
 */
#include "mx_protocol.h"

#include <string.h>

#ifdef __AVR__
#include <avr/pgmspace.h>
#define MX_FLASH PROGMEM
#define MX_FLASH_WORD(table, i) pgm_read_word(&(table)[i])
#else
#define MX_FLASH
#define MX_FLASH_WORD(table, i) ((table)[i])
#endif

/* ---- little-endian helpers: byte-wise so they work on any host and alignment ---- */

static void put_u16(uint8_t *out, uint16_t value)
{
    out[0] = (uint8_t)value;
    out[1] = (uint8_t)(value >> 8);
}

static void put_u32(uint8_t *out, uint32_t value)
{
    put_u16(out, (uint16_t)value);
    put_u16(out + 2, (uint16_t)(value >> 16));
}

static uint16_t get_u16(const uint8_t *in)
{
    return (uint16_t)(in[0] | ((uint16_t)in[1] << 8));
}

static uint32_t get_u32(const uint8_t *in)
{
    return (uint32_t)get_u16(in) | ((uint32_t)get_u16(in + 2) << 16);
}

/* ---- CRC ---- */

/* CRC-16 poly 0x1021, MSB first, one table lookup per byte: ~15 AVR cycles a byte
 * (the table-free shift/xor form measured ~64 under emulation, too slow for a SAMPLES
 * frame every 500 us). On the AVR the 512-byte table lives in flash (PROGMEM); the host
 * tests run the same code and table from RAM and check it against a bitwise CRC. */
static const uint16_t k_crc_table[256] MX_FLASH = {
    0x0000, 0x1021, 0x2042, 0x3063, 0x4084, 0x50A5, 0x60C6, 0x70E7,
    0x8108, 0x9129, 0xA14A, 0xB16B, 0xC18C, 0xD1AD, 0xE1CE, 0xF1EF,
    0x1231, 0x0210, 0x3273, 0x2252, 0x52B5, 0x4294, 0x72F7, 0x62D6,
    0x9339, 0x8318, 0xB37B, 0xA35A, 0xD3BD, 0xC39C, 0xF3FF, 0xE3DE,
    0x2462, 0x3443, 0x0420, 0x1401, 0x64E6, 0x74C7, 0x44A4, 0x5485,
    0xA56A, 0xB54B, 0x8528, 0x9509, 0xE5EE, 0xF5CF, 0xC5AC, 0xD58D,
    0x3653, 0x2672, 0x1611, 0x0630, 0x76D7, 0x66F6, 0x5695, 0x46B4,
    0xB75B, 0xA77A, 0x9719, 0x8738, 0xF7DF, 0xE7FE, 0xD79D, 0xC7BC,
    0x48C4, 0x58E5, 0x6886, 0x78A7, 0x0840, 0x1861, 0x2802, 0x3823,
    0xC9CC, 0xD9ED, 0xE98E, 0xF9AF, 0x8948, 0x9969, 0xA90A, 0xB92B,
    0x5AF5, 0x4AD4, 0x7AB7, 0x6A96, 0x1A71, 0x0A50, 0x3A33, 0x2A12,
    0xDBFD, 0xCBDC, 0xFBBF, 0xEB9E, 0x9B79, 0x8B58, 0xBB3B, 0xAB1A,
    0x6CA6, 0x7C87, 0x4CE4, 0x5CC5, 0x2C22, 0x3C03, 0x0C60, 0x1C41,
    0xEDAE, 0xFD8F, 0xCDEC, 0xDDCD, 0xAD2A, 0xBD0B, 0x8D68, 0x9D49,
    0x7E97, 0x6EB6, 0x5ED5, 0x4EF4, 0x3E13, 0x2E32, 0x1E51, 0x0E70,
    0xFF9F, 0xEFBE, 0xDFDD, 0xCFFC, 0xBF1B, 0xAF3A, 0x9F59, 0x8F78,
    0x9188, 0x81A9, 0xB1CA, 0xA1EB, 0xD10C, 0xC12D, 0xF14E, 0xE16F,
    0x1080, 0x00A1, 0x30C2, 0x20E3, 0x5004, 0x4025, 0x7046, 0x6067,
    0x83B9, 0x9398, 0xA3FB, 0xB3DA, 0xC33D, 0xD31C, 0xE37F, 0xF35E,
    0x02B1, 0x1290, 0x22F3, 0x32D2, 0x4235, 0x5214, 0x6277, 0x7256,
    0xB5EA, 0xA5CB, 0x95A8, 0x8589, 0xF56E, 0xE54F, 0xD52C, 0xC50D,
    0x34E2, 0x24C3, 0x14A0, 0x0481, 0x7466, 0x6447, 0x5424, 0x4405,
    0xA7DB, 0xB7FA, 0x8799, 0x97B8, 0xE75F, 0xF77E, 0xC71D, 0xD73C,
    0x26D3, 0x36F2, 0x0691, 0x16B0, 0x6657, 0x7676, 0x4615, 0x5634,
    0xD94C, 0xC96D, 0xF90E, 0xE92F, 0x99C8, 0x89E9, 0xB98A, 0xA9AB,
    0x5844, 0x4865, 0x7806, 0x6827, 0x18C0, 0x08E1, 0x3882, 0x28A3,
    0xCB7D, 0xDB5C, 0xEB3F, 0xFB1E, 0x8BF9, 0x9BD8, 0xABBB, 0xBB9A,
    0x4A75, 0x5A54, 0x6A37, 0x7A16, 0x0AF1, 0x1AD0, 0x2AB3, 0x3A92,
    0xFD2E, 0xED0F, 0xDD6C, 0xCD4D, 0xBDAA, 0xAD8B, 0x9DE8, 0x8DC9,
    0x7C26, 0x6C07, 0x5C64, 0x4C45, 0x3CA2, 0x2C83, 0x1CE0, 0x0CC1,
    0xEF1F, 0xFF3E, 0xCF5D, 0xDF7C, 0xAF9B, 0xBFBA, 0x8FD9, 0x9FF8,
    0x6E17, 0x7E36, 0x4E55, 0x5E74, 0x2E93, 0x3EB2, 0x0ED1, 0x1EF0
};

uint16_t mx_crc16_update(uint16_t crc, uint8_t byte)
{
    uint8_t index = (uint8_t)((crc >> 8) ^ byte);
    return (uint16_t)((uint16_t)(crc << 8) ^ MX_FLASH_WORD(k_crc_table, index));
}

uint16_t mx_crc16(const uint8_t *data, uint16_t len)
{
    uint16_t crc = MX_CRC_INIT;
    while (len--) {
        crc = mx_crc16_update(crc, *data++);
    }
    return crc;
}

/* ---- encoders ---- */

uint16_t mx_encode_frame(uint8_t *out, uint8_t type, uint16_t seq, const uint8_t *payload,
                         uint8_t len)
{
    uint8_t *body = out + MX_HEADER_BYTES;
    if (payload != body && len) {
        memmove(body, payload, len); /* memmove: callers may build the payload in place */
    }
    out[0] = MX_SYNC0;
    out[1] = MX_SYNC1;
    out[2] = type;
    put_u16(out + 3, seq);
    out[5] = len;
    /* The CRC covers type, seq, len and payload: everything after the sync bytes. */
    put_u16(body + len, mx_crc16(out + 2, (uint16_t)(MX_HEADER_BYTES - 2u + len)));
    return (uint16_t)(MX_OVERHEAD_BYTES + len);
}

uint8_t mx_samples_payload(uint8_t *out, const uint16_t *counts, uint8_t channels)
{
    uint8_t i;
    for (i = 0; i < channels; i++) {
        put_u16(out + 2u * i, counts[i]);
    }
    return (uint8_t)(2u * channels);
}

uint8_t mx_identity_payload(uint8_t *out, const mx_identity_t *id)
{
    uint8_t channels = id->channel_count > MX_MAX_CHANNELS ? MX_MAX_CHANNELS : id->channel_count;
    uint8_t name_len = id->name_len > MX_MAX_NAME_BYTES ? MX_MAX_NAME_BYTES : id->name_len;
    uint8_t *p = out;
    *p++ = id->protocol_version;
    *p++ = id->fw_major;
    *p++ = id->fw_minor;
    *p++ = id->fw_patch;
    *p++ = id->board_id;
    *p++ = id->flags;
    *p++ = channels;
    put_u16(p, id->sample_rate_hz);
    p += 2;
    *p++ = id->adc_bits;
    put_u16(p, id->adc_vref_mv);
    p += 2;
    memcpy(p, id->sensor_kinds, channels);
    p += channels;
    *p++ = name_len;
    memcpy(p, id->name, name_len);
    p += name_len;
    return (uint8_t)(p - out);
}

uint8_t mx_status_payload(uint8_t *out, const mx_status_t *s)
{
    put_u32(out, s->samples_acquired);
    put_u32(out + 4, s->tx_overflow_frames);
    put_u32(out + 8, s->adc_overruns);
    put_u16(out + 12, s->rx_errors);
    out[14] = s->state;
    out[15] = s->last_error;
    return MX_STATUS_PAYLOAD_BYTES;
}

uint8_t mx_marker_payload(uint8_t *out, const mx_marker_t *m)
{
    put_u32(out, m->sample_index);
    put_u16(out + 4, m->code);
    out[6] = m->source;
    return MX_MARKER_PAYLOAD_BYTES;
}

uint8_t mx_ack_payload(uint8_t *out, const mx_ack_t *a)
{
    out[0] = a->command;
    put_u16(out + 1, a->command_seq);
    out[3] = a->result;
    return MX_ACK_PAYLOAD_BYTES;
}

/* Payload size of a command, or -1 for a type that is not a command. */
static int command_payload_bytes(uint8_t type)
{
    switch (type) {
    case MX_CMD_HELLO:
    case MX_CMD_START:
    case MX_CMD_STOP:
    case MX_CMD_PING:
        return 0;
    case MX_CMD_SET_CHANNELS:
        return 1;
    case MX_CMD_SET_RATE:
    case MX_CMD_MARKER:
        return 2;
    default:
        return -1;
    }
}

uint16_t mx_encode_command(uint8_t *out, uint8_t command, uint16_t seq, uint16_t argument)
{
    uint8_t *payload = out + MX_HEADER_BYTES;
    int len = command_payload_bytes(command);
    if (len < 0) {
        len = 0;
    }
    put_u16(payload, argument); /* only `len` bytes of it are kept */
    return mx_encode_frame(out, command, seq, payload, (uint8_t)len);
}

/* ---- parsers ---- */

int mx_parse_identity(const uint8_t *p, uint8_t len, mx_identity_t *out)
{
    uint8_t channels;
    uint16_t kinds_end;
    uint8_t name_len;
    if (len < MX_IDENTITY_FIXED_BYTES) {
        return -1;
    }
    channels = p[6];
    kinds_end = (uint16_t)(MX_IDENTITY_FIXED_BYTES + channels);
    if (len < kinds_end + 1u) {
        return -1;
    }
    name_len = p[kinds_end];
    if (len < kinds_end + 1u + name_len) {
        return -1; /* board name truncated */
    }
    if (out == 0) {
        return 0;
    }
    if (channels > MX_MAX_CHANNELS || name_len > MX_MAX_NAME_BYTES) {
        return -1; /* valid on the wire, but larger than this struct can hold */
    }
    memset(out, 0, sizeof(*out)); /* unused kinds and name bytes read as zero */
    out->protocol_version = p[0];
    out->fw_major = p[1];
    out->fw_minor = p[2];
    out->fw_patch = p[3];
    out->board_id = p[4];
    out->flags = p[5];
    out->channel_count = channels;
    out->sample_rate_hz = get_u16(p + 7);
    out->adc_bits = p[9];
    out->adc_vref_mv = get_u16(p + 10);
    memcpy(out->sensor_kinds, p + MX_IDENTITY_FIXED_BYTES, channels);
    out->name_len = name_len;
    memcpy(out->name, p + kinds_end + 1, name_len);
    return 0;
}

int mx_parse_status(const uint8_t *p, uint8_t len, mx_status_t *out)
{
    if (len != MX_STATUS_PAYLOAD_BYTES) {
        return -1;
    }
    out->samples_acquired = get_u32(p);
    out->tx_overflow_frames = get_u32(p + 4);
    out->adc_overruns = get_u32(p + 8);
    out->rx_errors = get_u16(p + 12);
    out->state = p[14];
    out->last_error = p[15];
    return 0;
}

int mx_parse_marker(const uint8_t *p, uint8_t len, mx_marker_t *out)
{
    if (len != MX_MARKER_PAYLOAD_BYTES) {
        return -1;
    }
    out->sample_index = get_u32(p);
    out->code = get_u16(p + 4);
    out->source = p[6];
    return 0;
}

int mx_parse_ack(const uint8_t *p, uint8_t len, mx_ack_t *out)
{
    if (len != MX_ACK_PAYLOAD_BYTES) {
        return -1;
    }
    out->command = p[0];
    out->command_seq = get_u16(p + 1);
    out->result = p[3];
    return 0;
}

int mx_parse_samples(const uint8_t *p, uint8_t len, uint8_t channels, uint16_t *counts)
{
    uint8_t i;
    if (channels < MX_MIN_CHANNELS || channels > MX_MAX_CHANNELS || len != 2u * channels) {
        return -1;
    }
    for (i = 0; i < channels; i++) {
        counts[i] = get_u16(p + 2u * i);
    }
    return 0;
}

uint8_t mx_payload_fits(uint8_t type, const uint8_t *payload, uint8_t len, uint8_t channels)
{
    int expected;
    switch (type) {
    case MX_FRAME_SAMPLES:
        return len == 2u * channels;
    case MX_FRAME_IDENTITY:
        return mx_parse_identity(payload, len, 0) == 0;
    case MX_FRAME_MARKER:
        return len == MX_MARKER_PAYLOAD_BYTES;
    case MX_FRAME_STATUS:
        return len == MX_STATUS_PAYLOAD_BYTES;
    case MX_FRAME_ACK:
        return len == MX_ACK_PAYLOAD_BYTES;
    default:
        expected = command_payload_bytes(type);
        return expected >= 0 && len == (uint8_t)expected;
    }
}

uint8_t mx_check_config(uint8_t channels, uint16_t rate_hz)
{
    if (channels < MX_MIN_CHANNELS || channels > MX_MAX_CHANNELS) {
        return MX_ACK_BAD_ARGUMENT;
    }
    if (rate_hz < MX_MIN_RATE_HZ || rate_hz > MX_MAX_RATE_HZ) {
        return MX_ACK_BAD_ARGUMENT;
    }
    if ((uint32_t)channels * rate_hz > MX_ADC_BUDGET_SPS) {
        return MX_ACK_EXCEEDS_ADC;
    }
    return MX_ACK_OK;
}

/* ---- receiver ---- */

void mx_rx_init(mx_rx_t *rx, uint8_t channels)
{
    memset(rx, 0, sizeof(*rx));
    rx->channels = channels;
}

/* Forget the first `n` buffered bytes. */
static void rx_drop(mx_rx_t *rx, uint16_t n)
{
    rx->fill = (uint16_t)(rx->fill - n);
    if (rx->fill) {
        memmove(rx->buf, rx->buf + n, rx->fill);
    }
}

static void rx_drop_consumed(mx_rx_t *rx)
{
    if (rx->consumed) {
        rx_drop(rx, rx->consumed);
        rx->consumed = 0;
    }
}

uint8_t mx_rx_push(mx_rx_t *rx, uint8_t byte)
{
    rx_drop_consumed(rx);
    if (rx->fill >= sizeof(rx->buf)) {
        return 0;
    }
    rx->buf[rx->fill++] = byte;
    return 1;
}

/* Drop bytes up to the first "A5 5A" pair; a trailing A5 is kept (it may start a sync).
 * Returns 1 when a sync pair now starts the buffer. */
static uint8_t rx_hunt_sync(mx_rx_t *rx)
{
    uint16_t i;
    for (i = 0; i + 1u < rx->fill; i++) {
        if (rx->buf[i] == MX_SYNC0 && rx->buf[i + 1] == MX_SYNC1) {
            rx->garbage_bytes += i;
            rx_drop(rx, i);
            return 1;
        }
    }
    /* No pair: everything is garbage except a last byte that could be a first sync byte. */
    if (rx->fill && rx->buf[rx->fill - 1] == MX_SYNC0) {
        i = (uint16_t)(rx->fill - 1u);
    } else {
        i = rx->fill;
    }
    rx->garbage_bytes += i;
    rx_drop(rx, i);
    return 0;
}

uint8_t mx_rx_poll(mx_rx_t *rx, mx_frame_t *out)
{
    rx_drop_consumed(rx);
    for (;;) {
        uint16_t total;
        uint16_t crc_at;
        uint8_t len;
        if (!rx_hunt_sync(rx) || rx->fill < MX_HEADER_BYTES) {
            return 0;
        }
        len = rx->buf[5];
        crc_at = (uint16_t)(MX_HEADER_BYTES + len);
        total = (uint16_t)(crc_at + MX_CRC_BYTES);
        if (rx->fill < total) {
            return 0; /* wait for the whole frame, even if its length byte is corrupt */
        }
        if (mx_crc16(rx->buf + 2, (uint16_t)(crc_at - 2u)) != get_u16(rx->buf + crc_at)) {
            /* Resume one byte after the first sync byte: the length may be the bad byte. */
            rx->crc_errors++;
            rx->garbage_bytes++;
            rx_drop(rx, 1);
            continue;
        }
        if (!mx_payload_fits(rx->buf[2], rx->buf + MX_HEADER_BYTES, len, rx->channels)) {
            rx->malformed++;
            rx_drop(rx, total);
            continue;
        }
        rx->frames++;
        out->type = rx->buf[2];
        out->seq = get_u16(rx->buf + 3);
        out->len = len;
        out->payload = rx->buf + MX_HEADER_BYTES;
        rx->consumed = total;
        return 1;
    }
}

uint16_t mx_rx_pending(const mx_rx_t *rx)
{
    return (uint16_t)(rx->fill - rx->consumed);
}
