/*
 * mx_firmware.c - the microexp Mega 2560 firmware: sampling, transport and commands.
 *
 * Data path (all interrupt driven, no delay() and no blocking analogRead):
 *   Timer1 CTC tick (exact sample rate) -> starts an ADC scan at channel 0
 *   ADC interrupt -> reads the result, starts the next channel, files the finished set
 *   main loop      -> encodes SAMPLES frames into the transmit ring
 *   USART0 UDRE interrupt -> drains the ring at 500000 baud
 * Commands arrive through the USART0 RX interrupt into a small ring and are decoded in
 * the main loop with the shared protocol code (mx_protocol.c).
 *
 * Nothing is ever dropped silently: a tick that finds the previous scan unfinished counts
 * an adc_overrun, a frame without room counts a tx_overflow_frame, and both leave a gap
 * in the SAMPLES sequence numbers (the sample index advances on every tick regardless).
 */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>
#include <string.h>
#include <util/atomic.h>

#include "mx_config.h"
#include "mx_firmware.h"
#include "mx_protocol.h"

#ifndef F_CPU
#error "F_CPU must be defined (16000000UL on the Mega 2560)"
#endif
#if (F_CPU % (16UL * MX_BAUD)) != 0
#error "MX_BAUD has no exact divisor at this F_CPU with U2X0 = 0"
#endif
#define MX_UBRR ((uint16_t)(F_CPU / (16UL * MX_BAUD) - 1UL))

#define TX_MASK (MX_TX_BUFFER_BYTES - 1u)
#define RX_MASK (MX_RX_BUFFER_BYTES - 1u)
#define SET_MASK (MX_SAMPLE_SETS - 1u)
#define TRIGGER_MASK (MX_TRIGGER_SLOTS - 1u)
#define ADC_PRESCALER_125KHZ (_BV(ADPS2) | _BV(ADPS1) | _BV(ADPS0)) /* 16 MHz / 128 */
#define ADC_PRESCALER_250KHZ (_BV(ADPS2) | _BV(ADPS1))              /* 16 MHz / 64 */
#define LED_BLINKS_PER_S 4u
/* Host bytes decoded per main-loop pass: one 10-byte command, then samples again. */
#define RX_BYTES_PER_PASS 12u
/* A scan lasts at most 16 conversions (~1.8 ms); STOP waits at most this many polls. */
#define SCAN_WAIT_POLLS 60000u

/* ------------------------------------------------------------------------------------ */
/* State shared with interrupts                                                          */
/* ------------------------------------------------------------------------------------ */

typedef struct {
    uint32_t index;                   /* sample index: ticks since START */
    uint16_t counts[MX_MAX_CHANNELS]; /* ADC counts in channel order */
} sample_set_t;

/* Completed scans: the ADC ISR fills s_sets[s_set_head] and publishes it by advancing
 * the head; the main loop encodes from the tail. */
static sample_set_t s_sets[MX_SAMPLE_SETS];
static volatile uint8_t s_set_head;
static volatile uint8_t s_set_tail;
static volatile uint8_t s_scan_pos;   /* next channel to store; == s_scan_channels: idle */
static volatile uint8_t s_scan_channels;
static volatile uint8_t s_adcsra_start; /* ADCSRA value that starts one conversion */

static volatile uint8_t s_streaming;
static volatile uint32_t s_next_index; /* index the next tick will sample */
static volatile uint32_t s_adc_overruns;
static volatile uint32_t s_tx_overflow_frames;

/* Timer1 period with a fractional part: ticks alternate between s_period_top and
 * s_period_top + 1 timer counts so that the long-run rate is exactly F_CPU / rate. */
static volatile uint16_t s_period_top;
static volatile uint16_t s_period_rem;
static volatile uint16_t s_period_phase;
static volatile uint16_t s_tick_rate;

/* Transmit ring: the main loop writes at the head, the UDRE interrupt reads the tail. */
static uint8_t s_tx_buf[MX_TX_BUFFER_BYTES];
static volatile uint16_t s_tx_head;
static volatile uint16_t s_tx_tail;

/* Receive ring: the RX interrupt writes, the main loop decodes. */
static uint8_t s_rx_buf[MX_RX_BUFFER_BYTES];
static volatile uint8_t s_rx_head;
static volatile uint8_t s_rx_tail;
static volatile uint16_t s_rx_lost_bytes; /* ring full, data overrun or framing error */

/* Trigger edges (INT4) waiting for their MARKER frame. */
static volatile uint32_t s_trigger_index[MX_TRIGGER_SLOTS];
static volatile uint8_t s_trigger_head;
static volatile uint8_t s_trigger_tail;
static volatile uint8_t s_trigger_holdoff;  /* ticks until edges count again (debounce) */
static volatile uint8_t s_holdoff_ticks;    /* MX_TRIGGER_HOLDOFF_US in ticks, at least 1 */

/* ------------------------------------------------------------------------------------ */
/* Main-loop state                                                                        */
/* ------------------------------------------------------------------------------------ */

static const uint8_t k_sensor_kinds[MX_MAX_CHANNELS] = MX_SENSOR_KINDS;
static mx_rx_t s_rx;
static uint8_t s_frame[MX_OVERHEAD_BYTES + 64u]; /* largest: IDENTITY, 69 bytes */
static uint8_t s_channels = MX_DEFAULT_CHANNELS;
static uint16_t s_rate_hz = MX_DEFAULT_RATE_HZ;
static uint16_t s_frame_seq;     /* seq of non-sample device frames */
static uint16_t s_rx_rejected;   /* CRC-valid frames that are not commands */
static uint8_t s_last_error = MX_ACK_OK;
static uint32_t s_status_next;   /* samples_acquired of the next heartbeat STATUS */
static uint32_t s_snap_overflows; /* counters at START: a change means this stream lost data */
static uint32_t s_snap_overruns;
static uint16_t s_blink_left;    /* samples until the error blink toggles */
static uint8_t s_blink_on;
static uint8_t s_led_on;

/* ------------------------------------------------------------------------------------ */
/* Interrupts                                                                             */
/* ------------------------------------------------------------------------------------ */

/* Select a channel and start one conversion. MUX5 (in ADCSRB) picks ADC8..15, MUX2:0 the
 * input within the group; AVCC is the reference (REFS0). */
static inline void adc_start(uint8_t channel)
{
    ADCSRB = (channel & 8u) ? _BV(MUX5) : 0;
    ADMUX = _BV(REFS0) | (channel & 7u);
    ADCSRA = s_adcsra_start;
}

/* Program the length of the period that has just begun (CTC: OCR1A is not double
 * buffered, and TCNT1 is still far below the new top when this runs). */
static inline void next_period(void)
{
    uint16_t phase = s_period_phase + s_period_rem;
    if (phase >= s_tick_rate) {
        phase -= s_tick_rate;
        OCR1A = s_period_top + 1u;
    } else {
        OCR1A = s_period_top;
    }
    s_period_phase = phase;
}

/* Sample tick: start the scan first so the sampling instant has the least jitter. */
ISR(TIMER1_COMPA_vect)
{
    uint8_t head = s_set_head;
    if (s_scan_pos < s_scan_channels) {
        s_adc_overruns++; /* previous scan unfinished: this tick's sample set is lost */
    } else if (((head + 1u) & SET_MASK) == s_set_tail) {
        s_tx_overflow_frames++; /* main loop behind: no room to file this set */
    } else {
        s_scan_pos = 0;
        adc_start(0);
        s_sets[head].index = s_next_index;
    }
    s_next_index++;
    if (s_trigger_holdoff) {
        s_trigger_holdoff--;
    }
    next_period();
}

/* One conversion done: read it (this is also when simavr samples the input), chain the
 * next channel at once so conversions run back to back, then file the value. */
ISR(ADC_vect)
{
    uint16_t value = ADC;
    uint8_t pos = s_scan_pos;
    uint8_t next = (uint8_t)(pos + 1u);
    uint8_t head = s_set_head;
    if (next < s_scan_channels) {
        adc_start(next);
    }
    s_sets[head].counts[pos] = value;
    s_scan_pos = next;
    if (next == s_scan_channels) {
        s_set_head = (uint8_t)((head + 1u) & SET_MASK);
    }
}

/* Trigger input (digital pin 2 = PE4 = INT4), rising edge: the marker belongs to the
 * first sample set taken after the edge, the index the next tick will sample. Edges in
 * the following MX_TRIGGER_HOLDOFF_US (at least until that tick) are taken for ringing
 * on the same pulse and ignored. */
ISR(INT4_vect)
{
    uint8_t head = s_trigger_head;
    uint8_t next = (uint8_t)((head + 1u) & TRIGGER_MASK);
    if (!s_streaming || s_trigger_holdoff) {
        return;
    }
    s_trigger_holdoff = s_holdoff_ticks;
    if (next == s_trigger_tail) {
        s_tx_overflow_frames++; /* its MARKER frame cannot be queued */
        return;
    }
    s_trigger_index[head] = s_next_index;
    s_trigger_head = next;
}

/* Saturating, so a flood can never wrap rx_errors back to small numbers. */
static inline void count_rx_loss(void)
{
    if (s_rx_lost_bytes != 0xFFFFu) {
        s_rx_lost_bytes++;
    }
}

ISR(USART0_RX_vect)
{
    uint8_t status = UCSR0A;
    uint8_t byte = UDR0;
    uint8_t head = s_rx_head;
    uint8_t next = (uint8_t)((head + 1u) & RX_MASK);
    if (status & (_BV(FE0) | _BV(DOR0))) {
        count_rx_loss(); /* a byte was lost or garbled on the line */
    }
    if (next == s_rx_tail) {
        count_rx_loss(); /* ring full: the main loop is behind a command flood */
        return;
    }
    s_rx_buf[head] = byte;
    s_rx_head = next;
}

/* Transmit register empty: send the next queued byte, or stop asking when none is left. */
ISR(USART0_UDRE_vect)
{
    uint16_t tail = s_tx_tail;
    if (tail == s_tx_head) {
        UCSR0B &= (uint8_t)~_BV(UDRIE0);
        return;
    }
    UDR0 = s_tx_buf[tail];
    s_tx_tail = (tail + 1u) & TX_MASK;
}

/* ------------------------------------------------------------------------------------ */
/* Helpers for the main loop                                                              */
/* ------------------------------------------------------------------------------------ */

static uint32_t next_index_now(void)
{
    uint32_t value;
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { value = s_next_index; }
    return value;
}

static void count_tx_overflow(void)
{
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { s_tx_overflow_frames++; }
}

/* Whether the running stream has lost any sample set since START (the "error" state). */
static uint8_t stream_lost_data(void)
{
    uint8_t lost;
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE)
    {
        lost = s_tx_overflow_frames != s_snap_overflows || s_adc_overruns != s_snap_overruns;
    }
    return lost;
}

/* Queue a whole frame or nothing; `reserve` bytes must stay free afterwards. */
static uint8_t tx_enqueue(const uint8_t *data, uint16_t len, uint16_t reserve)
{
    uint16_t head = s_tx_head; /* only the main loop moves the head */
    uint16_t tail;
    uint16_t free_bytes;
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { tail = s_tx_tail; }
    free_bytes = (uint16_t)(MX_TX_BUFFER_BYTES - 1u - ((head - tail) & TX_MASK));
    if (free_bytes < (uint16_t)(len + reserve)) {
        return 0;
    }
    while (len--) {
        s_tx_buf[head] = *data++;
        head = (head + 1u) & TX_MASK;
    }
    /* Publish and (re)enable the UDRE interrupt together: the ISR also writes UCSR0B. */
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE)
    {
        s_tx_head = head;
        UCSR0B |= _BV(UDRIE0);
    }
    return 1;
}

/* A non-sample device frame with the next device sequence number; its payload is
 * already at s_frame + MX_HEADER_BYTES. Control frames may use the reserve. */
static void send_control(uint8_t type, uint8_t len)
{
    uint16_t bytes = mx_encode_frame(s_frame, type, s_frame_seq++, s_frame + MX_HEADER_BYTES,
                                     len);
    if (!tx_enqueue(s_frame, bytes, 0)) {
        count_tx_overflow();
    }
}

static uint16_t rx_errors(void)
{
    uint32_t total = s_rx.crc_errors + s_rx.malformed + s_rx_rejected;
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { total += s_rx_lost_bytes; }
    return total > 0xFFFFu ? 0xFFFFu : (uint16_t)total;
}

static uint8_t device_state(void)
{
    if (!s_streaming) {
        return MX_STATE_IDLE;
    }
    return stream_lost_data() ? MX_STATE_ERROR : MX_STATE_STREAMING;
}

static void send_status(uint32_t samples_acquired)
{
    mx_status_t status;
    status.samples_acquired = samples_acquired;
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE)
    {
        status.tx_overflow_frames = s_tx_overflow_frames;
        status.adc_overruns = s_adc_overruns;
    }
    status.rx_errors = rx_errors();
    status.state = device_state();
    status.last_error = s_last_error;
    send_control(MX_FRAME_STATUS, mx_status_payload(s_frame + MX_HEADER_BYTES, &status));
}

static void send_identity(void)
{
    mx_identity_t id;
    memset(&id, 0, sizeof(id));
    id.protocol_version = MX_PROTOCOL_VERSION;
    id.fw_major = MX_FW_MAJOR;
    id.fw_minor = MX_FW_MINOR;
    id.fw_patch = MX_FW_PATCH;
    id.board_id = MX_BOARD_MEGA2560;
    id.flags = s_streaming ? MX_IDENTITY_FLAG_STREAMING : 0;
    id.channel_count = s_channels;
    id.sample_rate_hz = s_rate_hz;
    id.adc_bits = 10;
    id.adc_vref_mv = 5000;
    memcpy(id.sensor_kinds, k_sensor_kinds, sizeof(id.sensor_kinds));
    id.name_len = (uint8_t)(sizeof(MX_BOARD_NAME) - 1u);
    memcpy(id.name, MX_BOARD_NAME, id.name_len);
    send_control(MX_FRAME_IDENTITY, mx_identity_payload(s_frame + MX_HEADER_BYTES, &id));
}

static void send_marker(uint32_t sample_index, uint16_t code, uint8_t source)
{
    mx_marker_t marker;
    marker.sample_index = sample_index;
    marker.code = code;
    marker.source = source;
    send_control(MX_FRAME_MARKER, mx_marker_payload(s_frame + MX_HEADER_BYTES, &marker));
}

static void send_ack(const mx_frame_t *command, uint8_t result)
{
    mx_ack_t ack;
    ack.command = command->type;
    ack.command_seq = command->seq;
    ack.result = result;
    if (result != MX_ACK_OK) {
        s_last_error = result;
    }
    send_control(MX_FRAME_ACK, mx_ack_payload(s_frame + MX_HEADER_BYTES, &ack));
}

/* ------------------------------------------------------------------------------------ */
/* Streaming                                                                              */
/* ------------------------------------------------------------------------------------ */

/* Timer1 top and remainder for a rate: the period is F_CPU / rate timer counts
 * (prescaler 1, so 250 Hz is 64000 counts and fits 16 bits). */
static void set_tick_rate(uint16_t rate_hz)
{
    uint32_t counts = F_CPU / rate_hz;
    s_tick_rate = rate_hz;
    s_period_top = (uint16_t)(counts - 1u);
    s_period_rem = (uint16_t)(F_CPU % rate_hz);
    s_period_phase = 0;
}

/* The trigger hold-off in ticks, rounded up: at least the rest of the current period. */
static uint8_t holdoff_ticks(uint16_t rate_hz)
{
    uint32_t ticks = ((uint32_t)rate_hz * MX_TRIGGER_HOLDOFF_US + 999999UL) / 1000000UL;
    return (uint8_t)(ticks < 1u ? 1u : (ticks > 255u ? 255u : ticks));
}

static uint8_t adc_prescaler_for(uint8_t channels, uint16_t rate_hz)
{
    uint32_t sps = (uint32_t)channels * rate_hz;
    return sps <= MX_ADC_125KHZ_MAX_SPS ? ADC_PRESCALER_125KHZ : ADC_PRESCALER_250KHZ;
}

static void start_timer(void)
{
    TCCR1B = 0;
    TCNT1 = 0;
    s_period_phase = 0;
    next_period();             /* length of the first period */
    TIFR1 = _BV(OCF1A);        /* forget a stale compare match */
    TIMSK1 = _BV(OCIE1A);
    TCCR1B = _BV(WGM12) | _BV(CS10); /* CTC on OCR1A, clock = F_CPU */
}

static uint8_t start_stream(void)
{
    if (s_streaming) {
        return MX_ACK_BUSY;
    }
    s_scan_channels = s_channels;
    s_scan_pos = s_channels;
    s_set_head = 0;
    s_set_tail = 0;
    s_adcsra_start = _BV(ADEN) | _BV(ADSC) | _BV(ADIE) | adc_prescaler_for(s_channels, s_rate_hz);
    set_tick_rate(s_rate_hz);
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE)
    {
        s_next_index = 0;
        s_snap_overflows = s_tx_overflow_frames;
        s_snap_overruns = s_adc_overruns;
    }
    s_status_next = s_rate_hz;
    s_blink_left = (uint16_t)(s_rate_hz / LED_BLINKS_PER_S);
    s_blink_on = 1;
    s_holdoff_ticks = holdoff_ticks(s_rate_hz);
    s_trigger_holdoff = 0;
    s_streaming = 1;
    start_timer(); /* the first tick is one period away: the ACK is queued before it */
    return MX_ACK_OK;
}

/* Heartbeat and LED bookkeeping after each encoded sample set. */
static void after_sample(uint32_t index)
{
    if (index + 1u >= s_status_next) {
        send_status(s_status_next); /* once per second of sample time */
        s_status_next += s_rate_hz;
    }
    if (--s_blink_left == 0) {
        s_blink_left = (uint16_t)(s_rate_hz / LED_BLINKS_PER_S);
        s_blink_on = (uint8_t)!s_blink_on;
    }
}

static void send_samples(const sample_set_t *set)
{
    uint8_t len = mx_samples_payload(s_frame + MX_HEADER_BYTES, set->counts, s_scan_channels);
    uint16_t bytes = mx_encode_frame(s_frame, MX_FRAME_SAMPLES, (uint16_t)set->index,
                                     s_frame + MX_HEADER_BYTES, len);
    /* SAMPLES leave a reserve so command replies and markers always fit. */
    if (!tx_enqueue(s_frame, bytes, MX_TX_RESERVE_BYTES)) {
        count_tx_overflow();
    }
}

static void service_samples(void)
{
    while (s_set_tail != s_set_head) {
        const sample_set_t *set = &s_sets[s_set_tail];
        send_samples(set);
        after_sample(set->index);
        s_set_tail = (uint8_t)((s_set_tail + 1u) & SET_MASK);
    }
}

static void service_triggers(void)
{
    while (s_trigger_tail != s_trigger_head) {
        uint8_t tail = s_trigger_tail;
        send_marker(s_trigger_index[tail], MX_MARKER_CODE_TRIGGER, MX_MARKER_TRIGGER);
        s_trigger_tail = (uint8_t)((tail + 1u) & TRIGGER_MASK);
    }
}

/* Stop sampling; the scan in flight finishes and its frame (and any queued marker) is
 * sent before the STOP's ACK, so nothing of this stream follows the ACK. */
static void stop_stream(void)
{
    uint16_t polls = SCAN_WAIT_POLLS;
    if (!s_streaming) {
        return;
    }
    TCCR1B = 0;
    TIMSK1 = 0;
    s_streaming = 0;
    while (s_scan_pos < s_scan_channels && --polls) {
        /* at most one scan: the ADC interrupt keeps running */
    }
    s_scan_pos = s_scan_channels; /* a dead ADC must not block the next START */
    service_samples();
    service_triggers();
}

/* SET_RATE / SET_CHANNELS: refused while streaming, out of range or over the ADC budget. */
static uint8_t configure(uint8_t channels, uint16_t rate_hz)
{
    uint8_t result;
    if (s_streaming) {
        return MX_ACK_BUSY;
    }
    result = mx_check_config(channels, rate_hz);
    if (result == MX_ACK_OK) {
        s_channels = channels;
        s_rate_hz = rate_hz;
        s_rx.channels = channels;
    }
    return result;
}

/* ------------------------------------------------------------------------------------ */
/* Commands                                                                               */
/* ------------------------------------------------------------------------------------ */

static uint16_t payload_u16(const mx_frame_t *frame)
{
    return (uint16_t)(frame->payload[0] | ((uint16_t)frame->payload[1] << 8));
}

/* The receiver has already checked CRC and payload length for every command type. */
static void handle_frame(const mx_frame_t *frame)
{
    switch (frame->type) {
    case MX_CMD_HELLO:
        send_identity();
        break;
    case MX_CMD_PING:
        send_status(next_index_now());
        break;
    case MX_CMD_START:
        send_ack(frame, start_stream());
        break;
    case MX_CMD_STOP:
        stop_stream();
        send_ack(frame, MX_ACK_OK);
        break;
    case MX_CMD_SET_RATE:
        send_ack(frame, configure(s_channels, payload_u16(frame)));
        break;
    case MX_CMD_SET_CHANNELS:
        send_ack(frame, configure(frame->payload[0], s_rate_hz));
        break;
    case MX_CMD_MARKER:
        send_ack(frame, MX_ACK_OK);
        send_marker(next_index_now(), payload_u16(frame), MX_MARKER_HOST);
        break;
    default:
        s_rx_rejected++; /* a valid device frame sent to the board */
        break;
    }
}

/* Decode at most RX_BYTES_PER_PASS received bytes, then let the main loop encode samples
 * again: a host flooding commands must not starve the stream (it overflows the RX ring
 * instead, which counts rx_errors). */
static void service_rx(void)
{
    mx_frame_t frame;
    uint8_t budget = RX_BYTES_PER_PASS;
    while (s_rx_tail != s_rx_head && budget--) {
        uint8_t tail = s_rx_tail;
        mx_rx_push(&s_rx, s_rx_buf[tail]);
        s_rx_tail = (uint8_t)((tail + 1u) & RX_MASK);
        while (mx_rx_poll(&s_rx, &frame)) {
            handle_frame(&frame);
        }
    }
}

/* ------------------------------------------------------------------------------------ */
/* LED, sleep, setup                                                                      */
/* ------------------------------------------------------------------------------------ */

/* Pin 13 (PB7): off when idle, on while streaming, blinking when the stream lost data. */
static void update_led(void)
{
    uint8_t on = 0;
    if (s_streaming) {
        on = stream_lost_data() ? s_blink_on : 1;
    }
    if (on != s_led_on) {
        s_led_on = on;
        if (on) {
            PORTB |= _BV(PORTB7);
        } else {
            PORTB &= (uint8_t)~_BV(PORTB7);
        }
    }
}

static uint8_t work_pending(void)
{
    return s_rx_tail != s_rx_head || s_set_tail != s_set_head ||
           s_trigger_tail != s_trigger_head;
}

/* Idle sleep until the next interrupt. Interrupts are off while checking for work and
 * the instruction after SEI always runs, so a wake-up cannot slip in between. */
static void idle_until_interrupt(void)
{
    cli();
    if (!work_pending()) {
        sleep_enable();
        sei();
        sleep_cpu();
        sleep_disable();
    }
    sei();
}

static void setup_adc(void)
{
    DIDR0 = 0xFF; /* A0..A15 are analog only: their digital buffers just add noise */
    DIDR2 = 0xFF;
    ADCSRB = 0;
    ADMUX = _BV(REFS0);
    ADCSRA = _BV(ADEN) | ADC_PRESCALER_125KHZ;
    /* The first conversion after enabling the ADC takes 25 ADC cycles: do it now, once,
     * so every sampled conversion is a 13-cycle one. */
    ADCSRA |= _BV(ADSC);
    while (ADCSRA & _BV(ADSC)) {
    }
    (void)ADC;
    ADCSRA |= _BV(ADIF);
}

static void setup_uart(void)
{
    UCSR0B = 0;
    UCSR0A = 0; /* U2X0 = 0: the divisor below is exact at 16 MHz */
    UBRR0 = MX_UBRR;
    UCSR0C = _BV(UCSZ01) | _BV(UCSZ00); /* 8N1 */
    UCSR0B = _BV(RXEN0) | _BV(TXEN0) | _BV(RXCIE0);
}

static void setup_trigger(void)
{
    DDRE &= (uint8_t)~_BV(DDE4);
    PORTE |= _BV(PORTE4); /* pull-up: an unconnected input stays high and never fires */
    EICRB = (uint8_t)((EICRB & ~(_BV(ISC41) | _BV(ISC40))) | _BV(ISC41) | _BV(ISC40));
    EIFR = _BV(INTF4);
    EIMSK |= _BV(INT4);
}

void mx_setup(void)
{
    cli();
    TIMSK0 = 0; /* Arduino's millis() tick is unused and would add jitter to sampling */
    TCCR1A = 0; /* Arduino's init() left Timer1 in 8-bit PWM mode */
    TCCR1B = 0;
    TCCR1C = 0;
    TIMSK1 = 0;
    DDRB |= _BV(DDB7);
    PORTB &= (uint8_t)~_BV(PORTB7);
    setup_adc();
    setup_uart();
    setup_trigger();
    mx_rx_init(&s_rx, s_channels);
    set_sleep_mode(SLEEP_MODE_IDLE);
    sei();
}

/* Every interrupt wakes the CPU (the UDRE one ~25 times per ms), so a pass that finds
 * nothing to do must cost next to nothing: only the three queue indices are checked. */
void mx_loop(void)
{
    if (s_set_tail != s_set_head) {
        service_samples(); /* first: the stream has priority over commands */
        update_led();
    }
    if (s_trigger_tail != s_trigger_head) {
        service_triggers();
    }
    if (s_rx_tail != s_rx_head) {
        service_rx();
        update_led();
    }
    idle_until_interrupt();
}
