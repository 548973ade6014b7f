/*
 * test_vectors.c - the firmware's protocol code (mx_protocol.c) against the golden
 * vectors in firmware/vectors/, compiled for the host with gcc.
 *
 * Usage: test_vectors VECTORS_DIR
 * Prints one "<file> <passed> passed" line per vector file and exits 0 when every
 * vector encodes to exactly its bytes and decodes back to its fields; otherwise it names
 * each failing vector on stderr and exits 1. The pytest driver compares the counts with
 * the number of vector lines, so a silently skipped line is a failure too.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mx_protocol.h"

#define LINE_MAX_CHARS 2048
#define MAX_TOKENS 64
#define MAX_BYTES 1024

static int g_failures;

static void fail(const char *name, const char *fmt, ...)
{
    va_list args;
    fprintf(stderr, "FAIL %s: ", name);
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fputc('\n', stderr);
    g_failures++;
}

/* Split a line into space-separated tokens (in place); returns the token count. */
static int tokenize(char *line, char **tokens)
{
    int n = 0;
    char *save = NULL;
    char *tok = strtok_r(line, " \t\r\n", &save);
    while (tok && n < MAX_TOKENS) {
        tokens[n++] = tok;
        tok = strtok_r(NULL, " \t\r\n", &save);
    }
    return n;
}

/* Hex string (or "-" for empty) into bytes; returns the length or -1 when malformed. */
static int parse_hex(const char *hex, uint8_t *out, int max)
{
    size_t len;
    int i;
    if (strcmp(hex, "-") == 0) {
        return 0;
    }
    len = strlen(hex);
    if (len % 2 || (int)(len / 2) > max) {
        return -1;
    }
    for (i = 0; i < (int)(len / 2); i++) {
        if (sscanf(hex + 2 * i, "%2hhx", &out[i]) != 1) {
            return -1;
        }
    }
    return (int)(len / 2);
}

static unsigned long number(const char *text)
{
    char *end = NULL;
    unsigned long value;
    errno = 0;
    value = strtoul(text, &end, 0);
    if (errno || end == text || *end) {
        fprintf(stderr, "bad number %s\n", text);
        exit(2);
    }
    return value;
}

static int same_bytes(const char *name, const char *what, const uint8_t *got, int got_len,
                      const uint8_t *want, int want_len)
{
    if (got_len == want_len && memcmp(got, want, (size_t)got_len) == 0) {
        return 1;
    }
    fail(name, "%s differs (%d bytes, expected %d)", what, got_len, want_len);
    return 0;
}

/* Iterate the vector lines of a file: calls `run` per line, returns the line count. */
typedef void (*line_fn)(char **tokens, int n);

static int for_each_vector(const char *dir, const char *file, line_fn run)
{
    char path[1024];
    char line[LINE_MAX_CHARS + 2];
    char *tokens[MAX_TOKENS];
    int count = 0;
    FILE *fp;
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
        exit(2);
    }
    while (fgets(line, sizeof(line), fp)) {
        int n;
        if (line[0] == '#') {
            continue;
        }
        n = tokenize(line, tokens);
        if (n == 0) {
            continue;
        }
        run(tokens, n);
        count++;
    }
    fclose(fp);
    return count;
}

/* ---- crc.txt: name input_hex expected_crc ---- */

static void run_crc(char **t, int n)
{
    uint8_t data[MAX_BYTES];
    int len;
    uint16_t got;
    if (n != 3 || (len = parse_hex(t[1], data, MAX_BYTES)) < 0) {
        fail(t[0], "malformed crc vector");
        return;
    }
    got = mx_crc16(data, (uint16_t)len);
    if (got != number(t[2])) {
        fail(t[0], "crc 0x%04x, expected %s", got, t[2]);
    }
}

/* ---- frames.txt: name kind type seq payload_hex frame_hex [fields...] ---- */

typedef struct {
    const char *name;
    const char *kind;
    uint8_t type;
    uint16_t seq;
    uint8_t payload[MAX_BYTES];
    int payload_len;
    uint8_t frame[MAX_BYTES];
    int frame_len;
    char **fields;
    int n_fields;
} frame_vector_t;

static int encode_samples(const frame_vector_t *v, uint8_t *payload)
{
    uint16_t counts[MX_MAX_CHANNELS];
    uint8_t channels = (uint8_t)number(v->fields[0]);
    int i;
    if (channels > MX_MAX_CHANNELS || v->n_fields != 1 + channels) {
        return -1;
    }
    for (i = 0; i < channels; i++) {
        counts[i] = (uint16_t)number(v->fields[1 + i]);
    }
    return mx_samples_payload(payload, counts, channels);
}

static int identity_from_fields(const frame_vector_t *v, mx_identity_t *id)
{
    char **f = v->fields;
    int i;
    memset(id, 0, sizeof(*id));
    if (v->n_fields < 11) {
        return -1;
    }
    id->protocol_version = (uint8_t)number(f[0]);
    id->fw_major = (uint8_t)number(f[1]);
    id->fw_minor = (uint8_t)number(f[2]);
    id->fw_patch = (uint8_t)number(f[3]);
    id->board_id = (uint8_t)number(f[4]);
    id->flags = (uint8_t)number(f[5]);
    id->channel_count = (uint8_t)number(f[6]);
    id->sample_rate_hz = (uint16_t)number(f[7]);
    id->adc_bits = (uint8_t)number(f[8]);
    id->adc_vref_mv = (uint16_t)number(f[9]);
    if (id->channel_count > MX_MAX_CHANNELS || v->n_fields != 11 + id->channel_count) {
        return -1;
    }
    for (i = 0; i < id->channel_count; i++) {
        id->sensor_kinds[i] = (uint8_t)number(f[10 + i]);
    }
    id->name_len = (uint8_t)strlen(f[10 + id->channel_count]);
    memcpy(id->name, f[10 + id->channel_count], id->name_len);
    return 0;
}

static int encode_identity(const frame_vector_t *v, uint8_t *payload)
{
    mx_identity_t id;
    if (identity_from_fields(v, &id) < 0) {
        return -1;
    }
    return mx_identity_payload(payload, &id);
}

static int encode_marker(const frame_vector_t *v, uint8_t *payload)
{
    mx_marker_t m;
    if (v->n_fields != 3) {
        return -1;
    }
    m.sample_index = (uint32_t)number(v->fields[0]);
    m.code = (uint16_t)number(v->fields[1]);
    m.source = (uint8_t)number(v->fields[2]);
    return mx_marker_payload(payload, &m);
}

static int status_from_fields(const frame_vector_t *v, mx_status_t *s)
{
    if (v->n_fields != 6) {
        return -1;
    }
    s->samples_acquired = (uint32_t)number(v->fields[0]);
    s->tx_overflow_frames = (uint32_t)number(v->fields[1]);
    s->adc_overruns = (uint32_t)number(v->fields[2]);
    s->rx_errors = (uint16_t)number(v->fields[3]);
    s->state = (uint8_t)number(v->fields[4]);
    s->last_error = (uint8_t)number(v->fields[5]);
    return 0;
}

static int encode_status(const frame_vector_t *v, uint8_t *payload)
{
    mx_status_t s;
    if (status_from_fields(v, &s) < 0) {
        return -1;
    }
    return mx_status_payload(payload, &s);
}

static int encode_ack(const frame_vector_t *v, uint8_t *payload)
{
    mx_ack_t a;
    if (v->n_fields != 3) {
        return -1;
    }
    a.command = (uint8_t)number(v->fields[0]);
    a.command_seq = (uint16_t)number(v->fields[1]);
    a.result = (uint8_t)number(v->fields[2]);
    return mx_ack_payload(payload, &a);
}

/* Device frames: payload from the fields, then the whole frame around it. */
static int encode_device_frame(const frame_vector_t *v, uint8_t *frame)
{
    uint8_t *payload = frame + MX_HEADER_BYTES; /* built in place, as the firmware does */
    int len = -1;
    if (strcmp(v->kind, "samples") == 0) {
        len = encode_samples(v, payload);
    } else if (strcmp(v->kind, "identity") == 0) {
        len = encode_identity(v, payload);
    } else if (strcmp(v->kind, "marker") == 0) {
        len = encode_marker(v, payload);
    } else if (strcmp(v->kind, "status") == 0) {
        len = encode_status(v, payload);
    } else if (strcmp(v->kind, "ack") == 0) {
        len = encode_ack(v, payload);
    }
    if (len < 0) {
        return -1;
    }
    return mx_encode_frame(frame, v->type, v->seq, payload, (uint8_t)len);
}

/* Host commands through mx_encode_command, like the harness and tests send them. */
static int encode_host_command(const frame_vector_t *v, uint8_t *frame)
{
    uint16_t argument = v->n_fields ? (uint16_t)number(v->fields[0]) : 0;
    if (strncmp(v->kind, "cmd_", 4) != 0 || v->n_fields > 1) {
        return -1;
    }
    return mx_encode_command(frame, v->type, v->seq, argument);
}

static void check_payload_fields(const frame_vector_t *v, const mx_frame_t *f)
{
    uint8_t again[MAX_BYTES];
    int len = -1;
    /* Decoded payload -> record -> payload must give back the same bytes and fields. */
    if (strcmp(v->kind, "identity") == 0) {
        mx_identity_t got, want;
        if (mx_parse_identity(f->payload, f->len, &got) == 0 &&
            identity_from_fields(v, &want) == 0 &&
            memcmp(&got, &want, sizeof(got)) == 0) {
            len = mx_identity_payload(again, &got);
        }
    } else if (strcmp(v->kind, "status") == 0) {
        mx_status_t got, want;
        if (mx_parse_status(f->payload, f->len, &got) == 0 && status_from_fields(v, &want) == 0 &&
            memcmp(&got, &want, sizeof(got)) == 0) {
            len = mx_status_payload(again, &got);
        }
    } else if (strcmp(v->kind, "marker") == 0) {
        mx_marker_t got;
        if (mx_parse_marker(f->payload, f->len, &got) == 0 && v->n_fields == 3 &&
            got.sample_index == number(v->fields[0]) && got.code == number(v->fields[1]) &&
            got.source == number(v->fields[2])) {
            len = mx_marker_payload(again, &got);
        }
    } else if (strcmp(v->kind, "ack") == 0) {
        mx_ack_t got;
        if (mx_parse_ack(f->payload, f->len, &got) == 0 && v->n_fields == 3 &&
            got.command == number(v->fields[0]) && got.command_seq == number(v->fields[1]) &&
            got.result == number(v->fields[2])) {
            len = mx_ack_payload(again, &got);
        }
    } else if (strcmp(v->kind, "samples") == 0) {
        uint16_t counts[MX_MAX_CHANNELS];
        uint8_t channels = (uint8_t)number(v->fields[0]);
        int i, ok = mx_parse_samples(f->payload, f->len, channels, counts) == 0;
        for (i = 0; ok && i < channels; i++) {
            ok = counts[i] == number(v->fields[1 + i]);
        }
        if (ok) {
            len = mx_samples_payload(again, counts, channels);
        }
    } else {
        /* Commands: the argument is the payload, little-endian. */
        uint16_t arg = f->len == 2 ? (uint16_t)(f->payload[0] | (f->payload[1] << 8))
                       : f->len == 1 ? f->payload[0] : 0;
        if (v->n_fields == 0 || arg == number(v->fields[0])) {
            memcpy(again, f->payload, f->len);
            len = f->len;
        }
    }
    if (len < 0) {
        fail(v->name, "decoded fields differ from the vector");
        return;
    }
    same_bytes(v->name, "re-encoded payload", again, len, v->payload, v->payload_len);
}

/* The frame's bytes through the receiver: exactly one frame with the right header. */
static void check_decode(const frame_vector_t *v)
{
    static mx_rx_t rx;
    mx_frame_t f;
    int i;
    uint8_t channels = strcmp(v->kind, "samples") == 0 ? (uint8_t)number(v->fields[0]) : 1;
    mx_rx_init(&rx, channels);
    for (i = 0; i < v->frame_len; i++) {
        mx_rx_push(&rx, v->frame[i]);
        if (i + 1 < v->frame_len && mx_rx_poll(&rx, &f)) {
            fail(v->name, "a frame came out before its last byte");
            return;
        }
    }
    if (!mx_rx_poll(&rx, &f)) {
        fail(v->name, "receiver did not accept the frame (crc %u malformed %u)",
             (unsigned)rx.crc_errors, (unsigned)rx.malformed);
        return;
    }
    if (f.type != v->type || f.seq != v->seq) {
        fail(v->name, "decoded type/seq 0x%02x/0x%04x", f.type, f.seq);
        return;
    }
    same_bytes(v->name, "decoded payload", f.payload, f.len, v->payload, v->payload_len);
    check_payload_fields(v, &f);
    if (mx_rx_poll(&rx, &f) || mx_rx_pending(&rx) != 0) {
        fail(v->name, "receiver left bytes or frames behind");
    }
}

static void run_frame(char **t, int n)
{
    static frame_vector_t v;
    uint8_t frame[MAX_BYTES];
    int len;
    if (n < 6) {
        fail(t[0], "malformed frame vector");
        return;
    }
    v.name = t[0];
    v.kind = t[1];
    v.type = (uint8_t)number(t[2]);
    v.seq = (uint16_t)number(t[3]);
    v.payload_len = parse_hex(t[4], v.payload, MAX_BYTES);
    v.frame_len = parse_hex(t[5], v.frame, MAX_BYTES);
    v.fields = t + 6;
    v.n_fields = n - 6;
    if (v.payload_len < 0 || v.frame_len < 0) {
        fail(v.name, "bad hex");
        return;
    }
    len = v.type & 0x80 ? encode_host_command(&v, frame) : encode_device_frame(&v, frame);
    if (len < 0) {
        fail(v.name, "could not encode kind %s from its fields", v.kind);
        return;
    }
    same_bytes(v.name, "encoded payload", frame + MX_HEADER_BYTES, frame[5], v.payload,
               v.payload_len);
    same_bytes(v.name, "encoded frame", frame, len, v.frame, v.frame_len);
    check_decode(&v);
}

/* ---- streams.txt: name channels frames crc_errors malformed garbage pending in out ---- */

static void run_stream(char **t, int n)
{
    static uint8_t input[MAX_BYTES], expected[MAX_BYTES], got[MAX_BYTES];
    static mx_rx_t rx;
    mx_frame_t f;
    int in_len, want_len, got_len = 0, i;
    if (n != 9 || (in_len = parse_hex(t[7], input, MAX_BYTES)) < 0 ||
        (want_len = parse_hex(t[8], expected, MAX_BYTES)) < 0) {
        fail(t[0], "malformed stream vector");
        return;
    }
    mx_rx_init(&rx, (uint8_t)number(t[1]));
    for (i = 0; i < in_len; i++) {
        mx_rx_push(&rx, input[i]);
        while (mx_rx_poll(&rx, &f)) {
            if (got_len + MX_OVERHEAD_BYTES + f.len > MAX_BYTES) {
                fail(t[0], "too many frames");
                return;
            }
            got_len += mx_encode_frame(got + got_len, f.type, f.seq, f.payload, f.len);
        }
    }
    if (rx.frames != number(t[2]) || rx.crc_errors != number(t[3]) ||
        rx.malformed != number(t[4]) || rx.garbage_bytes != number(t[5]) ||
        mx_rx_pending(&rx) != number(t[6])) {
        fail(t[0], "counters frames %u crc %u malformed %u garbage %u pending %u",
             (unsigned)rx.frames, (unsigned)rx.crc_errors, (unsigned)rx.malformed,
             (unsigned)rx.garbage_bytes, (unsigned)mx_rx_pending(&rx));
    }
    same_bytes(t[0], "accepted frames", got, got_len, expected, want_len);
}

/* ---- the CRC table against a bitwise CRC (poly 0x1021, MSB first) ---- */

static uint16_t bitwise_crc_update(uint16_t crc, uint8_t byte)
{
    int bit;
    crc ^= (uint16_t)(byte << 8);
    for (bit = 0; bit < 8; bit++) {
        crc = (uint16_t)((crc & 0x8000u) ? ((unsigned)crc << 1) ^ 0x1021u : (unsigned)crc << 1);
    }
    return crc;
}

static int run_crc_table_check(void)
{
    unsigned crc, byte;
    int checks = 0;
    for (crc = 0; crc <= 0xFFFFu; crc += 257u) {
        for (byte = 0; byte <= 0xFFu; byte++) {
            checks++;
            if (mx_crc16_update((uint16_t)crc, (uint8_t)byte) !=
                bitwise_crc_update((uint16_t)crc, (uint8_t)byte)) {
                fail("crc_table", "crc 0x%04x byte 0x%02x", crc, byte);
                return checks;
            }
        }
    }
    return checks;
}

/* ---- configuration rules shared with the host (protocol.py adc_budget_allows) ---- */

static int run_config_checks(void)
{
    static const struct {
        uint8_t channels;
        uint16_t rate;
        uint8_t result;
    } cases[] = {
        {8, 1000, MX_ACK_OK},         {16, 600, MX_ACK_OK},        {4, 2000, MX_ACK_OK},
        {1, 250, MX_ACK_OK},          {16, 250, MX_ACK_OK},        {12, 800, MX_ACK_OK},
        {5, 2000, MX_ACK_EXCEEDS_ADC}, {16, 601, MX_ACK_EXCEEDS_ADC}, {9, 1067, MX_ACK_EXCEEDS_ADC},
        {0, 1000, MX_ACK_BAD_ARGUMENT}, {17, 250, MX_ACK_BAD_ARGUMENT}, {1, 249, MX_ACK_BAD_ARGUMENT},
        {1, 2001, MX_ACK_BAD_ARGUMENT},
    };
    int i, n = (int)(sizeof(cases) / sizeof(cases[0]));
    for (i = 0; i < n; i++) {
        uint8_t got = mx_check_config(cases[i].channels, cases[i].rate);
        if (got != cases[i].result) {
            fail("config", "%u ch x %u Hz -> %u, expected %u", cases[i].channels,
                 cases[i].rate, got, cases[i].result);
        }
    }
    return n;
}

int main(int argc, char **argv)
{
    int before;
    int count;
    if (argc != 2) {
        fprintf(stderr, "usage: %s VECTORS_DIR\n", argv[0]);
        return 2;
    }
    before = g_failures;
    count = for_each_vector(argv[1], "crc.txt", run_crc);
    printf("crc.txt %d passed\n", g_failures == before ? count : 0);
    before = g_failures;
    count = run_crc_table_check();
    printf("crc_table %d passed\n", g_failures == before ? count : 0);
    before = g_failures;
    count = for_each_vector(argv[1], "frames.txt", run_frame);
    printf("frames.txt %d passed\n", g_failures == before ? count : 0);
    before = g_failures;
    count = for_each_vector(argv[1], "streams.txt", run_stream);
    printf("streams.txt %d passed\n", g_failures == before ? count : 0);
    before = g_failures;
    count = run_config_checks();
    printf("config %d passed\n", g_failures == before ? count : 0);
    return g_failures ? 1 : 0;
}
