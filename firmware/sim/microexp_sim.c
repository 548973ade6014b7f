/*
 * microexp_sim.c - the Mega 2560 firmware running in simavr, as a serial board on a
 * pseudo-terminal.
 *
 *   microexp-sim [options] FIRMWARE.elf
 *
 * The first stdout line is the pty path; pass it to `microexp record --port`. Nothing
 * else is ever written to stdout (simavr's own messages go to stderr).
 *
 * What it models, and why:
 * - ATmega2560 at 16 MHz, AVCC = AREF = 5000 mV, so ADC counts are
 *   floor(mV * 1023 / 5000) as simavr computes them.
 * - ADC inputs in millivolts from a generator (sine, ramp, constant) or a file of
 *   sample rows, latched when each conversion starts (simavr's ADC_IRQ_OUT_TRIGGER).
 *   simavr 1.6 keeps only ADC0..7 inputs, so reads of ADC8..15 are answered here with
 *   simavr's own formula (see adc_result_hook).
 * - USART0 on its own pty. Host bytes enter the UART no faster than the line rate;
 *   firmware bytes are buffered here and the emulated chip stalls when the host falls
 *   behind, so no byte is ever dropped (simavr's bundled uart_pty drops them).
 * - A host closing the port resets the chip, as the Mega's DTR auto-reset does, and the
 *   chip is paused while no host holds the port.
 * - Emulated time is paced to the wall clock (--speed, default 1) or runs as fast as the
 *   host reads (--fast); simavr's usleep-based sleep is replaced so both work.
 * - The trigger input (digital pin 2 = PE4 = INT4) pulses after the ticks listed with
 *   --trigger; the LED (pin 13 = PB7), ticks, conversions and commands go to --events.
 * - Time spent inside interrupt handlers is counted in emulated cycles (--bench prints
 *   it as JSON, for the timing-headroom figures).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "avr_adc.h"
#include "avr_ioport.h"
#include "avr_uart.h"
#include "sim_avr.h"
#include "sim_elf.h"
#include "sim_io.h"
#include "sim_irq.h"

#include "mx_protocol.h"

/* ---- ATmega2560 facts (avr-libc iomxx0_1.h) ---- */
#define F_CPU_HZ 16000000u
#define VEC_INT4 5
#define VEC_TIMER1_COMPA 17
#define VEC_USART0_RX 25
#define VEC_USART0_UDRE 26
#define VEC_ADC 29
#define VEC_COUNT 57
#define REG_ADCL 0x78
#define REG_ADCH 0x79
#define REG_ADCSRB 0x7B
#define REG_ADMUX 0x7C
#define REG_TIMSK1 0x6F
#define BIT_MUX5 3
#define BIT_ADLAR 5
#define BIT_OCIE1A 1
/* Interrupt response of the ATmega2560 (3-byte PC push): simavr does not count it. */
#define IRQ_RESPONSE_CYCLES 5u

#define OUT_HIGH_WATER 8192u     /* stall the chip when this much waits for the host */
#define IN_CAPACITY 4096u
#define FAST_SLICE_CYCLES 16000u /* 1 ms of emulated time between I/O polls */
#define MAX_LAG_CYCLES (F_CPU_HZ / 10u) /* paced mode never catches up more than 100 ms */
#define TRIGGER_RISE_CYCLES 1000u  /* pulse starts 62.5 us after the listed tick */
#define TRIGGER_HIGH_CYCLES 4000u  /* and lasts 250 us (inside the 500 us period at 2 kHz) */
#define MAX_TRIGGERS 256
/* --bench leaves the first periods out: IDENTITY and ACKs are still on the line then. */
#define BENCH_WARMUP_TICKS 50
#define MAX_CHANNELS 16

/* ------------------------------------------------------------------------------------ */

typedef struct {
    uint64_t count;  /* entries */
    uint64_t cycles; /* cycles inside, including the response */
    uint64_t max;    /* longest single run */
} vector_stats_t;

typedef struct {
    uint64_t windows;     /* complete sample periods seen */
    uint64_t isr_sum, isr_max;   /* interrupt cycles per period */
    uint64_t busy_sum, busy_max; /* non-sleeping cycles per period (ISRs + main loop) */
    uint64_t scan_max;    /* tick -> last ADC interrupt of the scan */
    uint64_t period_min, period_max;
} period_stats_t;

typedef struct {
    /* options */
    const char *elf_path;
    const char *signal_kind;
    double amp_mv, offset_mv, freq_hz;
    const char *input_path;
    const char *events_path;
    double speed; /* 0 = as fast as the host reads */
    double duration_s;
    double slow_uart;
    int verbose;
    double bench_s;
    int bench_channels, bench_rate;
    uint32_t triggers[MAX_TRIGGERS];
    int n_triggers;

    /* emulator */
    avr_t *avr;
    avr_uart_t *uart;
    avr_irq_t *adc_irq;
    avr_irq_t *trigger_irq;
    avr_irq_t *uart_irq;
    avr_io_read_t orig_read_l, orig_read_h;
    void *orig_read_param;
    uint32_t latched_mv[MAX_CHANNELS];
    int xoff;
    uint64_t next_rx_cycle;

    /* signal file: rows x cols of millivolts */
    uint32_t *rows;
    int n_rows, n_cols;

    /* pty */
    int master;
    char slave_path[128];
    int inotify_fd;
    int openers;
    int host;
    FILE *out;

    /* byte queues */
    uint8_t in[IN_CAPACITY];
    size_t in_len;
    uint8_t *outbuf;
    size_t out_len, out_cap;
    mx_rx_t cmd_rx; /* host commands as the chip receives them (events, START) */

    /* stream bookkeeping */
    int64_t ticks;  /* ticks since the last accepted START (-1 before) */
    int next_trigger;
    int led;
    FILE *events;

    /* accounting */
    vector_stats_t vec[VEC_COUNT];
    int cur_vector;
    uint64_t cur_isr_cycles;
    uint64_t win_start, win_isr, win_sleep, last_adc_entry;
    int window_open;
    period_stats_t per;
} sim_t;

static sim_t g_sim;
static volatile sig_atomic_t g_stop;

static void die(const char *fmt, ...)
{
    va_list args;
    fprintf(stderr, "microexp-sim: ");
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fputc('\n', stderr);
    exit(2);
}

static void note(const char *fmt, ...)
{
    va_list args;
    fprintf(stderr, "microexp-sim: ");
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fputc('\n', stderr);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void event(sim_t *s, const char *fmt, ...)
{
    va_list args;
    if (!s->events) {
        return;
    }
    fprintf(s->events, "%llu ", (unsigned long long)s->avr->cycle);
    va_start(args, fmt);
    vfprintf(s->events, fmt, args);
    va_end(args);
    fputc('\n', s->events);
}

/* ------------------------------------------------------------------------------------ */
/* Signal sources                                                                        */
/* ------------------------------------------------------------------------------------ */

static uint32_t clamp_mv(double mv)
{
    if (mv < 0.0) {
        return 0;
    }
    if (mv > 5000.0) {
        return 5000;
    }
    return (uint32_t)lround(mv);
}

/* Millivolts on `channel` for the conversion starting now, in sample set `row`. */
static uint32_t signal_mv(sim_t *s, unsigned channel, int64_t row)
{
    double t = (double)s->avr->cycle / F_CPU_HZ;
    if (s->rows) {
        uint64_t r = row < 0 ? 0 : (uint64_t)row % (uint64_t)s->n_rows;
        return s->rows[r * (uint64_t)s->n_cols + channel % (unsigned)s->n_cols];
    }
    if (strcmp(s->signal_kind, "ramp") == 0) {
        /* A distinct, known value per (sample set, channel): easy to check exactly. */
        uint64_t r = row < 0 ? 0 : (uint64_t)row;
        return (uint32_t)((r * 37u + channel * 311u) % 5001u);
    }
    if (strcmp(s->signal_kind, "constant") == 0) {
        return clamp_mv(s->offset_mv);
    }
    /* sine: channel c at (c + 1) x the base frequency, sampled at the conversion time */
    return clamp_mv(s->offset_mv +
                    s->amp_mv * sin(2.0 * M_PI * s->freq_hz * (channel + 1u) * t));
}

static void load_rows(sim_t *s, const char *path)
{
    FILE *fp = fopen(path, "r");
    char line[4096];
    size_t cap = 0;
    if (!fp) {
        die("cannot open --input %s: %s", path, strerror(errno));
    }
    while (fgets(line, sizeof(line), fp)) {
        uint32_t values[MAX_CHANNELS];
        int n = 0;
        char *p = line, *end;
        if (line[0] == '#') {
            continue;
        }
        for (;;) {
            double v;
            while (*p == ' ' || *p == '\t' || *p == ',') {
                p++;
            }
            v = strtod(p, &end);
            if (end == p || n == MAX_CHANNELS) {
                break;
            }
            values[n++] = clamp_mv(v);
            p = end;
        }
        if (n == 0) {
            continue;
        }
        if (s->n_cols == 0) {
            s->n_cols = n;
        } else if (n != s->n_cols) {
            die("--input %s: row %d has %d values, the first had %d", path, s->n_rows + 1, n,
                s->n_cols);
        }
        if ((size_t)(s->n_rows + 1) * (size_t)n > cap) {
            cap = cap ? 2 * cap : 4096;
            s->rows = realloc(s->rows, cap * sizeof(uint32_t));
            if (!s->rows) {
                die("out of memory");
            }
        }
        memcpy(s->rows + (size_t)s->n_rows * (size_t)n, values, (size_t)n * sizeof(uint32_t));
        s->n_rows++;
    }
    fclose(fp);
    if (s->n_rows == 0) {
        die("--input %s has no sample rows", path);
    }
}

/* ------------------------------------------------------------------------------------ */
/* simavr hooks                                                                          */
/* ------------------------------------------------------------------------------------ */

/* A conversion starts: latch this channel's input, as the sample-and-hold does. */
static void adc_trigger_hook(struct avr_irq_t *irq, uint32_t value, void *param)
{
    sim_t *s = param;
    union {
        avr_adc_mux_t mux;
        uint64_t raw;
    } e;
    unsigned channel;
    (void)irq;
    e.raw = value;
    if (e.mux.kind != ADC_MUX_SINGLE || e.mux.src >= MAX_CHANNELS) {
        return;
    }
    channel = e.mux.src;
    s->latched_mv[channel] = signal_mv(s, channel, s->ticks - 1);
    if (channel < 8) {
        avr_raise_irq(s->adc_irq + ADC_IRQ_ADC0 + channel, s->latched_mv[channel]);
    }
    event(s, "conv %u %u %lld", channel, s->latched_mv[channel], (long long)(s->ticks - 1));
}

/* ADC8..15 single-ended (MUX5 set, MUX4:3 clear): simavr 1.6 stores only 8 inputs, so
 * those results are computed here exactly as simavr does for ADC0..7. */
static int extended_channel(avr_t *avr)
{
    uint8_t mux = (uint8_t)(avr->data[REG_ADMUX] & 0x1F);
    if (!(avr->data[REG_ADCSRB] & (1u << BIT_MUX5)) || mux > 7) {
        return -1;
    }
    return 8 + mux;
}

static uint8_t adc_result_hook(struct avr_t *avr, avr_io_addr_t addr, void *param)
{
    sim_t *s = param;
    int channel = extended_channel(avr);
    uint32_t reg;
    if (channel < 0) {
        return addr == REG_ADCL ? s->orig_read_l(avr, addr, s->orig_read_param)
                                : s->orig_read_h(avr, addr, s->orig_read_param);
    }
    if (addr == REG_ADCL) {
        reg = (uint32_t)(s->latched_mv[channel] * 0x3FFu) / avr->avcc;
        if (reg > 0x3FF) {
            reg = 0x3FF;
        }
        if (avr->data[REG_ADMUX] & (1u << BIT_ADLAR)) {
            reg <<= 6;
        }
        avr->data[REG_ADCL] = (uint8_t)reg;
        avr->data[REG_ADCH] = (uint8_t)(reg >> 8);
    }
    return avr->data[addr];
}

static void install_adc_hooks(sim_t *s)
{
    avr_t *avr = s->avr;
    avr_io_addr_t l = AVR_DATA_TO_IO(REG_ADCL), h = AVR_DATA_TO_IO(REG_ADCH);
    s->adc_irq = avr_io_getirq(avr, AVR_IOCTL_ADC_GETIRQ, 0);
    if (!s->adc_irq) {
        die("simavr has no ADC for this core");
    }
    avr_irq_register_notify(s->adc_irq + ADC_IRQ_OUT_TRIGGER, adc_trigger_hook, s);
    /* Chain in front of simavr's own ADCL/ADCH readers (same param for both). */
    s->orig_read_l = avr->io[l].r.c;
    s->orig_read_h = avr->io[h].r.c;
    s->orig_read_param = avr->io[l].r.param;
    avr->io[l].r.c = adc_result_hook;
    avr->io[l].r.param = s;
    avr->io[h].r.c = adc_result_hook;
    avr->io[h].r.param = s;
}

static void out_append(sim_t *s, uint8_t byte)
{
    if (s->out_len == s->out_cap) {
        s->out_cap = s->out_cap ? 2 * s->out_cap : 65536;
        s->outbuf = realloc(s->outbuf, s->out_cap);
        if (!s->outbuf) {
            die("out of memory");
        }
    }
    s->outbuf[s->out_len++] = byte;
}

static void uart_output_hook(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    out_append(param, (uint8_t)value);
}

static void uart_xoff_hook(struct avr_irq_t *irq, uint32_t value, void *param)
{
    sim_t *s = param;
    (void)irq;
    s->xoff = value != 0;
}

static void led_hook(struct avr_irq_t *irq, uint32_t value, void *param)
{
    sim_t *s = param;
    (void)irq;
    if ((int)(value != 0) != s->led) {
        s->led = value != 0;
        event(s, "led %d", s->led);
    }
}

static avr_cycle_count_t trigger_fall(struct avr_t *avr, avr_cycle_count_t when, void *param)
{
    sim_t *s = param;
    (void)avr;
    (void)when;
    avr_raise_irq(s->trigger_irq, 0);
    event(s, "trig 0");
    return 0;
}

static avr_cycle_count_t trigger_rise(struct avr_t *avr, avr_cycle_count_t when, void *param)
{
    sim_t *s = param;
    (void)when;
    avr_raise_irq(s->trigger_irq, 1);
    event(s, "trig 1");
    avr_cycle_timer_register(avr, TRIGGER_HIGH_CYCLES, trigger_fall, s);
    return 0;
}

/* Sleep without usleep: emulated time jumps to the next event (simavr adds the cycles). */
static void sleep_hook(avr_t *avr, avr_cycle_count_t how_long)
{
    (void)avr;
    (void)how_long;
}

static avr_uart_t *find_uart0(avr_t *avr)
{
    avr_io_t *io;
    for (io = avr->io_port; io; io = io->next) {
        if (strcmp(io->kind, "uart") == 0 && ((avr_uart_t *)io)->name == '0') {
            return (avr_uart_t *)io;
        }
    }
    return NULL;
}

static void log_to_stderr(avr_t *avr, const int level, const char *fmt, va_list args)
{
    (void)avr;
    if (level <= LOG_ERROR || g_sim.verbose) {
        vfprintf(stderr, fmt, args);
    }
}

static void setup_avr(sim_t *s)
{
    static elf_firmware_t firmware;
    uint32_t uart_flags = 0;
    memset(&firmware, 0, sizeof(firmware));
    if (elf_read_firmware(s->elf_path, &firmware) != 0) {
        die("cannot read firmware %s", s->elf_path);
    }
    s->avr = avr_make_mcu_by_name("atmega2560");
    if (!s->avr) {
        die("simavr does not know the atmega2560");
    }
    avr_init(s->avr);
    avr_load_firmware(s->avr, &firmware);
    s->avr->frequency = F_CPU_HZ;
    s->avr->vcc = s->avr->avcc = s->avr->aref = 5000; /* else the ADC assumes 3300 mV */
    s->avr->sleep = sleep_hook;
    s->avr->log = s->verbose ? LOG_TRACE : LOG_ERROR;
    /* No console echo and no usleep on status-register polls. */
    avr_ioctl(s->avr, AVR_IOCTL_UART_SET_FLAGS('0'), &uart_flags);
    s->uart = find_uart0(s->avr);
    s->uart_irq = avr_io_getirq(s->avr, AVR_IOCTL_UART_GETIRQ('0'), 0);
    if (!s->uart || !s->uart_irq) {
        die("simavr has no USART0");
    }
    avr_irq_register_notify(s->uart_irq + UART_IRQ_OUTPUT, uart_output_hook, s);
    avr_irq_register_notify(s->uart_irq + UART_IRQ_OUT_XOFF, uart_xoff_hook, s);
    avr_irq_register_notify(avr_io_getirq(s->avr, AVR_IOCTL_IOPORT_GETIRQ('B'), 7), led_hook,
                            s);
    s->trigger_irq = avr_io_getirq(s->avr, AVR_IOCTL_IOPORT_GETIRQ('E'), 4);
    install_adc_hooks(s);
}

/* ------------------------------------------------------------------------------------ */
/* Running the chip, with interrupt accounting                                           */
/* ------------------------------------------------------------------------------------ */

static void close_period(sim_t *s)
{
    uint64_t length = s->avr->cycle - s->win_start;
    uint64_t busy = length - s->win_sleep;
    period_stats_t *p = &s->per;
    if (s->window_open) {
        p->windows++;
        p->isr_sum += s->win_isr;
        p->busy_sum += busy;
        if (s->win_isr > p->isr_max) p->isr_max = s->win_isr;
        if (busy > p->busy_max) p->busy_max = busy;
        if (s->last_adc_entry > s->win_start && s->last_adc_entry - s->win_start > p->scan_max) {
            p->scan_max = s->last_adc_entry - s->win_start;
        }
        if (p->period_min == 0 || length < p->period_min) p->period_min = length;
        if (length > p->period_max) p->period_max = length;
    }
    s->window_open = 1;
    s->win_start = s->avr->cycle;
    s->win_isr = 0;
    s->win_sleep = 0;
}

/* A sample tick: the firmware's Timer1 compare interrupt. */
static void on_tick(sim_t *s)
{
    close_period(s);
    if (s->ticks < 0) {
        return;
    }
    s->ticks++;
    event(s, "tick %lld", (long long)(s->ticks - 1));
    if (s->next_trigger < s->n_triggers &&
        (int64_t)s->triggers[s->next_trigger] == s->ticks - 1) {
        s->next_trigger++;
        avr_cycle_timer_register(s->avr, TRIGGER_RISE_CYCLES, trigger_rise, s);
    }
}

static void on_interrupt_entry(sim_t *s, int vector)
{
    s->cur_vector = vector;
    s->cur_isr_cycles = IRQ_RESPONSE_CYCLES;
    s->vec[vector].count++;
    if (vector == VEC_TIMER1_COMPA) {
        on_tick(s);
    } else if (vector == VEC_ADC) {
        s->last_adc_entry = s->avr->cycle;
    }
    s->win_isr += IRQ_RESPONSE_CYCLES;
}

static void on_interrupt_exit(sim_t *s)
{
    vector_stats_t *v = &s->vec[s->cur_vector];
    v->cycles += s->cur_isr_cycles;
    if (s->cur_isr_cycles > v->max) {
        v->max = s->cur_isr_cycles;
    }
}

/* One instruction (or one sleep jump), attributed to an ISR, the main loop or sleep. */
static void step(sim_t *s)
{
    avr_t *avr = s->avr;
    uint64_t before = avr->cycle;
    uint8_t depth = avr->interrupts.running_ptr;
    int sleeping = avr->state == cpu_Sleeping;
    uint64_t spent;
    avr_run(avr);
    spent = avr->cycle - before;
    if (depth) {
        s->cur_isr_cycles += spent;
        s->win_isr += spent;
    } else if (sleeping) {
        s->win_sleep += spent;
    }
    if (avr->interrupts.running_ptr < depth) {
        on_interrupt_exit(s);
    }
    if (avr->interrupts.running_ptr > depth) {
        on_interrupt_entry(s, avr->interrupts.running[avr->interrupts.running_ptr - 1]->vector);
    }
}

/* A host command has fully entered the UART: note it, and restart the tick count when a
 * START reaches an idle chip (Timer1's interrupt is only enabled while streaming). */
static void on_command(sim_t *s, const mx_frame_t *f)
{
    event(s, "cmd 0x%02x %u", f->type, f->seq);
    if (f->type == MX_CMD_START && !(s->avr->data[REG_TIMSK1] & (1u << BIT_OCIE1A))) {
        s->ticks = 0;
        s->next_trigger = 0;
        /* The stimulus computer holds the trigger line low between pulses. simavr lets
         * the firmware's pull-up (PORTE4, set at boot) pull the pin high, so drive it low
         * again now, or the first pulse would find it high already and make no edge. */
        avr_raise_irq(s->trigger_irq, 0);
    }
}

static void feed_uart(sim_t *s)
{
    mx_frame_t f;
    uint8_t byte;
    if (!s->in_len || s->xoff || s->avr->cycle < s->next_rx_cycle ||
        !avr_regbit_get(s->avr, s->uart->rxen)) {
        return; /* hold host bytes until the firmware has switched its receiver on */
    }
    byte = s->in[0];
    memmove(s->in, s->in + 1, --s->in_len);
    avr_raise_irq(s->uart_irq + UART_IRQ_INPUT, byte);
    s->next_rx_cycle = s->avr->cycle + s->uart->cycles_per_byte;
    mx_rx_push(&s->cmd_rx, byte);
    while (mx_rx_poll(&s->cmd_rx, &f)) {
        on_command(s, &f);
    }
}

static void apply_slow_uart(sim_t *s)
{
    static avr_cycle_count_t base;
    if (s->slow_uart <= 1.0) {
        return;
    }
    /* The firmware sets the baud rate once at boot; stretch what simavr computed. */
    if (s->uart->cycles_per_byte != (avr_cycle_count_t)(base * s->slow_uart)) {
        base = s->uart->cycles_per_byte;
        s->uart->cycles_per_byte = (avr_cycle_count_t)(base * s->slow_uart);
    }
}

/* Run until `until` cycles, a crash, or too much output waiting for the host. */
static void run_until(sim_t *s, uint64_t until)
{
    while (s->avr->cycle < until && s->out_len < OUT_HIGH_WATER) {
        int state;
        feed_uart(s);
        step(s);
        state = s->avr->state;
        if (state == cpu_Done || state == cpu_Crashed) {
            die("the emulated chip stopped (state %d) at cycle %llu", state,
                (unsigned long long)s->avr->cycle);
        }
    }
    apply_slow_uart(s);
}

/* Back to power-up: the host closed the port (the Mega resets on DTR). */
static void reset_chip(sim_t *s)
{
    avr_reset(s->avr);
    s->avr->sleep = sleep_hook;
    s->avr->interrupts.running_ptr = 0; /* no handler runs after a reset */
    s->cur_vector = 0;
    s->in_len = 0;
    s->out_len = 0;
    s->xoff = 0;
    s->ticks = -1;
    s->next_trigger = 0;
    s->window_open = 0;
    s->led = 0; /* PORTB clears on reset */
    avr_raise_irq(s->trigger_irq, 0);
    mx_rx_init(&s->cmd_rx, 1);
    event(s, "reset");
}

/* ------------------------------------------------------------------------------------ */
/* The pseudo-terminal                                                                   */
/* ------------------------------------------------------------------------------------ */

static void open_pty(sim_t *s)
{
    int slave;
    struct termios tio;
    if (openpty(&s->master, &slave, s->slave_path, NULL, NULL) < 0) {
        die("openpty: %s", strerror(errno));
    }
    /* Raw like a serial port; then close our end so a hang-up means "no host". */
    tcgetattr(slave, &tio);
    cfmakeraw(&tio);
    tcsetattr(slave, TCSANOW, &tio);
    close(slave);
    fcntl(s->master, F_SETFL, fcntl(s->master, F_GETFL) | O_NONBLOCK);
    /* inotify sees a host that closes and reopens between two polls; POLLHUP would not. */
    s->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (s->inotify_fd >= 0 &&
        inotify_add_watch(s->inotify_fd, s->slave_path,
                          IN_OPEN | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE) < 0) {
        close(s->inotify_fd);
        s->inotify_fd = -1;
    }
}

static void host_gone(sim_t *s)
{
    if (s->host) {
        s->host = 0;
        if (s->verbose) {
            note("host closed %s: chip reset", s->slave_path);
        }
        reset_chip(s);
    }
}

static void host_arrived(sim_t *s)
{
    if (!s->host) {
        s->host = 1;
        if (s->verbose) {
            note("host opened %s", s->slave_path);
        }
    }
}

static void read_inotify(sim_t *s)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n;
    while ((n = read(s->inotify_fd, buf, sizeof(buf))) > 0) {
        char *p = buf;
        while (p < buf + n) {
            struct inotify_event *e = (struct inotify_event *)p;
            if (e->mask & IN_OPEN) {
                s->openers++;
                host_arrived(s);
            }
            if (e->mask & (IN_CLOSE_WRITE | IN_CLOSE_NOWRITE)) {
                if (s->openers > 0 && --s->openers == 0) {
                    host_gone(s);
                }
            }
            p += sizeof(struct inotify_event) + e->len;
        }
    }
}

static void read_host(sim_t *s)
{
    while (s->in_len < IN_CAPACITY) {
        ssize_t n = read(s->master, s->in + s->in_len, IN_CAPACITY - s->in_len);
        if (n <= 0) {
            return;
        }
        s->in_len += (size_t)n;
        if (s->inotify_fd < 0) {
            host_arrived(s); /* without inotify, data is the only sign of a host */
        }
    }
}

static void write_host(sim_t *s)
{
    while (s->out_len) {
        ssize_t n = write(s->master, s->outbuf, s->out_len);
        if (n <= 0) {
            return;
        }
        memmove(s->outbuf, s->outbuf + n, s->out_len - (size_t)n);
        s->out_len -= (size_t)n;
    }
}

/* Wait up to `timeout_ms` for host input, output room or open/close events. With no
 * host the master is left out of the poll: it would report POLLHUP at once, forever. */
static void service_pty(sim_t *s, int timeout_ms)
{
    struct pollfd fds[2];
    int n = 0, master = -1, watch = -1;
    if (s->host || s->inotify_fd < 0) {
        master = n++;
        fds[master].fd = s->master;
        fds[master].events = POLLIN | (s->host && s->out_len ? POLLOUT : 0);
        fds[master].revents = 0;
    }
    if (s->inotify_fd >= 0) {
        watch = n++;
        fds[watch].fd = s->inotify_fd;
        fds[watch].events = POLLIN;
        fds[watch].revents = 0;
    }
    if (poll(fds, (nfds_t)n, timeout_ms) < 0) {
        return;
    }
    if (master >= 0 && (fds[master].revents & POLLIN)) {
        read_host(s);
    }
    if (watch >= 0 && (fds[watch].revents & POLLIN)) {
        read_inotify(s); /* after reading: bytes sent just before a close are dropped */
    } else if (watch < 0 && (fds[master].revents & POLLHUP) &&
               !(fds[master].revents & POLLIN)) {
        host_gone(s);
        usleep(10000); /* POLLHUP stays set until a host opens the port */
    }
    if (s->host && master >= 0 && (fds[master].revents & POLLOUT)) {
        write_host(s);
    }
}

static void serve(sim_t *s)
{
    double anchor_wall = 0.0;
    uint64_t anchor_cycle = 0;
    uint64_t end_cycle = s->duration_s > 0 ? (uint64_t)(s->duration_s * F_CPU_HZ) : UINT64_MAX;
    int timeout_ms = 50;
    int was_host = 0;
    open_pty(s);
    fprintf(s->out, "%s\n", s->slave_path);
    fflush(s->out);
    while (!g_stop && s->avr->cycle < end_cycle) {
        uint64_t until;
        service_pty(s, timeout_ms);
        if (!s->host) {
            was_host = 0;
            timeout_ms = 50; /* paused: nothing to emulate without a host */
            continue;
        }
        if (!was_host) {
            was_host = 1;
            anchor_wall = now_s();
            anchor_cycle = s->avr->cycle;
        }
        if (s->out_len >= OUT_HIGH_WATER) {
            timeout_ms = 10; /* back-pressure: wait until the host reads */
            continue;
        }
        if (s->speed > 0) {
            until = anchor_cycle + (uint64_t)((now_s() - anchor_wall) * s->speed * F_CPU_HZ);
            if (until > s->avr->cycle + MAX_LAG_CYCLES) {
                /* Stalled by the host for long: do not burst to catch up. */
                anchor_cycle = s->avr->cycle;
                anchor_wall = now_s();
                until = anchor_cycle;
            }
        } else {
            until = s->avr->cycle + FAST_SLICE_CYCLES;
        }
        if (until > end_cycle) {
            until = end_cycle;
        }
        run_until(s, until);
        write_host(s);
        timeout_ms = (s->speed > 0 && s->avr->cycle >= until) ? 1 : 0;
    }
    /* A host that closed the port just before the stop still resets the chip (the event
     * log then shows it, whatever the machine's load). */
    if (s->inotify_fd >= 0) {
        read_inotify(s);
    }
}

/* ------------------------------------------------------------------------------------ */
/* --bench: an internal host, no pty; prints interrupt load as JSON                      */
/* ------------------------------------------------------------------------------------ */

typedef struct {
    uint64_t samples, gaps, lost, other;
    int64_t last_seq;
    mx_status_t status;
    int got_status, stop_acked;
} bench_rx_t;

static void queue_command(sim_t *s, uint8_t command, uint16_t argument)
{
    static uint16_t seq;
    uint8_t frame[16];
    uint16_t n = mx_encode_command(frame, command, seq++, argument);
    memcpy(s->in + s->in_len, frame, n);
    s->in_len += n;
}

static void bench_decode(sim_t *s, mx_rx_t *rx, bench_rx_t *b)
{
    size_t i;
    mx_frame_t f;
    for (i = 0; i < s->out_len; i++) {
        mx_rx_push(rx, s->outbuf[i]);
        while (mx_rx_poll(rx, &f)) {
            if (f.type == MX_FRAME_SAMPLES) {
                if (b->last_seq >= 0 && f.seq != (uint16_t)(b->last_seq + 1)) {
                    b->gaps++;
                    b->lost += (uint16_t)(f.seq - b->last_seq - 1);
                }
                b->last_seq = f.seq;
                b->samples++;
            } else if (f.type == MX_FRAME_STATUS) {
                b->got_status = mx_parse_status(f.payload, f.len, &b->status) == 0;
            } else if (f.type == MX_FRAME_ACK && f.payload[3] != MX_ACK_OK) {
                die("--bench: the firmware refused command 0x%02x (result %u)", f.payload[0],
                    f.payload[3]);
            } else if (f.type == MX_FRAME_ACK && f.payload[0] == MX_CMD_STOP) {
                b->stop_acked = 1;
            } else {
                b->other++;
            }
        }
    }
    s->out_len = 0;
}

static void print_vector(FILE *out, const char *name, const vector_stats_t *v, int last)
{
    fprintf(out, "    \"%s\": {\"count\": %llu, \"cycles\": %llu, \"mean\": %.1f, \"max\": %llu}%s\n",
            name, (unsigned long long)v->count, (unsigned long long)v->cycles,
            v->count ? (double)v->cycles / (double)v->count : 0.0, (unsigned long long)v->max,
            last ? "" : ",");
}

typedef struct {
    mx_rx_t rx;          /* the board's output, decoded */
    bench_rx_t got;
    period_stats_t per;  /* frozen at the end of the measured span */
    vector_stats_t vec[VEC_COUNT];
    uint64_t start, end; /* measured span, cycles */
    double wall_s;
} bench_t;

/* Run `cycles` more, decoding what the board sends. */
static void bench_run(sim_t *s, bench_t *b, uint64_t cycles)
{
    run_until(s, s->avr->cycle + cycles);
    bench_decode(s, &b->rx, &b->got);
}

/* Configure and START, then stream past the warm-up (IDENTITY and ACKs still on the
 * line) and clear the statistics. One channel first, so that any rate is accepted. */
static void bench_start(sim_t *s, bench_t *b)
{
    s->host = 1;
    queue_command(s, MX_CMD_HELLO, 0);
    queue_command(s, MX_CMD_SET_CHANNELS, 1);
    queue_command(s, MX_CMD_SET_RATE, (uint16_t)s->bench_rate);
    queue_command(s, MX_CMD_SET_CHANNELS, (uint16_t)s->bench_channels);
    queue_command(s, MX_CMD_START, 0);
    while (s->ticks <= BENCH_WARMUP_TICKS) {
        bench_run(s, b, FAST_SLICE_CYCLES);
        if (s->avr->cycle > 10u * F_CPU_HZ) {
            die("the firmware never started sampling");
        }
    }
    memset(s->vec, 0, sizeof(s->vec));
    memset(&s->per, 0, sizeof(s->per));
    s->window_open = 0;
}

/* Stream the measured span; keep its figures (complete periods only) before PING and
 * STOP add their own traffic. */
static void bench_measure(sim_t *s, bench_t *b)
{
    b->start = s->avr->cycle;
    b->end = b->start + (uint64_t)(s->bench_s * F_CPU_HZ);
    while (s->avr->cycle < b->end) {
        bench_run(s, b, b->end - s->avr->cycle);
    }
    memcpy(&b->per, &s->per, sizeof(b->per));
    memcpy(b->vec, s->vec, sizeof(b->vec));
    queue_command(s, MX_CMD_PING, 0);
    queue_command(s, MX_CMD_STOP, 0);
    while (!b->got.stop_acked && s->avr->cycle < b->end + F_CPU_HZ) {
        bench_run(s, b, FAST_SLICE_CYCLES);
    }
}

static double mean(uint64_t sum, uint64_t n)
{
    return n ? (double)sum / (double)n : 0.0;
}

static void bench_report(sim_t *s, const bench_t *b)
{
    FILE *out = s->out;
    const period_stats_t *per = &b->per;
    const mx_status_t *st = &b->got.status;
    fprintf(out, "{\n  \"channels\": %d,\n  \"rate_hz\": %d,\n", s->bench_channels,
            s->bench_rate);
    fprintf(out, "  \"period_cycles\": %u,\n", F_CPU_HZ / (unsigned)s->bench_rate);
    fprintf(out, "  \"emulated_s\": %.3f,\n  \"wall_s\": %.3f,\n",
            (double)(b->end - b->start) / F_CPU_HZ, b->wall_s);
    fprintf(out, "  \"periods\": %llu,\n", (unsigned long long)per->windows);
    fprintf(out, "  \"isr_cycles_per_period_mean\": %.1f,\n", mean(per->isr_sum, per->windows));
    fprintf(out, "  \"isr_cycles_per_period_max\": %llu,\n", (unsigned long long)per->isr_max);
    fprintf(out, "  \"busy_cycles_per_period_mean\": %.1f,\n",
            mean(per->busy_sum, per->windows));
    fprintf(out, "  \"busy_cycles_per_period_max\": %llu,\n", (unsigned long long)per->busy_max);
    fprintf(out, "  \"adc_scan_cycles_max\": %llu,\n", (unsigned long long)per->scan_max);
    fprintf(out, "  \"period_cycles_min\": %llu,\n  \"period_cycles_max\": %llu,\n",
            (unsigned long long)per->period_min, (unsigned long long)per->period_max);
    fprintf(out, "  \"vectors\": {\n");
    print_vector(out, "TIMER1_COMPA", &b->vec[VEC_TIMER1_COMPA], 0);
    print_vector(out, "ADC", &b->vec[VEC_ADC], 0);
    print_vector(out, "USART0_UDRE", &b->vec[VEC_USART0_UDRE], 0);
    print_vector(out, "USART0_RX", &b->vec[VEC_USART0_RX], 0);
    print_vector(out, "INT4", &b->vec[VEC_INT4], 1);
    fprintf(out, "  },\n");
    fprintf(out, "  \"samples_frames\": %llu,\n  \"sequence_gaps\": %llu,\n",
            (unsigned long long)b->got.samples, (unsigned long long)b->got.gaps);
    fprintf(out, "  \"lost_samples\": %llu,\n  \"crc_errors\": %u,\n",
            (unsigned long long)b->got.lost, (unsigned)b->rx.crc_errors);
    fprintf(out, "  \"status\": {\"samples_acquired\": %u, \"tx_overflow_frames\": %u, "
                 "\"adc_overruns\": %u, \"rx_errors\": %u, \"state\": %u}\n}\n",
            (unsigned)st->samples_acquired, (unsigned)st->tx_overflow_frames,
            (unsigned)st->adc_overruns, (unsigned)st->rx_errors, st->state);
    fflush(out);
}

static void bench(sim_t *s)
{
    static bench_t b;
    double wall = now_s();
    memset(&b, 0, sizeof(b));
    b.got.last_seq = -1;
    mx_rx_init(&b.rx, (uint8_t)s->bench_channels);
    bench_start(s, &b);
    bench_measure(s, &b);
    b.wall_s = now_s() - wall;
    bench_report(s, &b);
}

/* ------------------------------------------------------------------------------------ */
/* Command line                                                                          */
/* ------------------------------------------------------------------------------------ */

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: microexp-sim [options] FIRMWARE.elf\n"
            "Runs the Mega 2560 firmware in simavr and serves USART0 on a pseudo-terminal\n"
            "whose path is printed as the first stdout line.\n\n"
            "  --signal sine|ramp|constant  generated ADC input (default sine)\n"
            "  --amp-mv MV --offset-mv MV --freq-hz HZ   generator settings (400, 500, 5)\n"
            "  --input FILE        rows of millivolts, one row per sample set, a column per\n"
            "                      channel (channel c uses column c %% columns); loops\n"
            "  --trigger N,M,...   pulse the trigger pin (D2) 62.5 us after ticks N, M...\n"
            "                      (sample sets counted from each START)\n"
            "  --speed X           emulated time runs X times the wall clock (default 1)\n"
            "  --fast              run as fast as the host reads\n"
            "  --duration S        exit after S emulated seconds\n"
            "  --events FILE       log ticks, conversions, commands, trigger and LED edges\n"
            "  --slow-uart F       fault injection: the UART sends F times slower\n"
            "  --bench S --channels N --rate HZ\n"
            "                      no pty: stream S emulated seconds, print interrupt load\n"
            "  -v, --verbose       simavr's messages and host open/close on stderr\n");
}

static void parse_triggers(sim_t *s, const char *list)
{
    char *copy = strdup(list), *save = NULL, *tok;
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (s->n_triggers == MAX_TRIGGERS) {
            die("at most %d triggers", MAX_TRIGGERS);
        }
        s->triggers[s->n_triggers++] = (uint32_t)strtoul(tok, NULL, 10);
    }
    free(copy);
}

static void parse_args(sim_t *s, int argc, char **argv)
{
    static const struct option options[] = {
        {"signal", required_argument, 0, 's'},  {"amp-mv", required_argument, 0, 'a'},
        {"offset-mv", required_argument, 0, 'o'}, {"freq-hz", required_argument, 0, 'f'},
        {"input", required_argument, 0, 'i'},   {"trigger", required_argument, 0, 't'},
        {"speed", required_argument, 0, 'x'},   {"fast", no_argument, 0, 'F'},
        {"duration", required_argument, 0, 'd'}, {"events", required_argument, 0, 'e'},
        {"slow-uart", required_argument, 0, 'u'}, {"bench", required_argument, 0, 'b'},
        {"channels", required_argument, 0, 'c'}, {"rate", required_argument, 0, 'r'},
        {"verbose", no_argument, 0, 'v'},       {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int opt;
    s->signal_kind = "sine";
    s->amp_mv = 400.0;
    s->offset_mv = 500.0;
    s->freq_hz = 5.0;
    s->speed = 1.0;
    s->bench_channels = 8;
    s->bench_rate = 1000;
    while ((opt = getopt_long(argc, argv, "vh", options, NULL)) != -1) {
        switch (opt) {
        case 's': s->signal_kind = optarg; break;
        case 'a': s->amp_mv = atof(optarg); break;
        case 'o': s->offset_mv = atof(optarg); break;
        case 'f': s->freq_hz = atof(optarg); break;
        case 'i': s->input_path = optarg; break;
        case 't': parse_triggers(s, optarg); break;
        case 'x': s->speed = atof(optarg); break;
        case 'F': s->speed = 0.0; break;
        case 'd': s->duration_s = atof(optarg); break;
        case 'e': s->events_path = optarg; break;
        case 'u': s->slow_uart = atof(optarg); break;
        case 'b': s->bench_s = atof(optarg); break;
        case 'c': s->bench_channels = atoi(optarg); break;
        case 'r': s->bench_rate = atoi(optarg); break;
        case 'v': s->verbose = 1; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); exit(2);
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        exit(2);
    }
    s->elf_path = argv[optind];
    if (strcmp(s->signal_kind, "sine") && strcmp(s->signal_kind, "ramp") &&
        strcmp(s->signal_kind, "constant")) {
        die("unknown --signal %s", s->signal_kind);
    }
    if (s->speed < 0) {
        die("--speed must be positive");
    }
}

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

int main(int argc, char **argv)
{
    sim_t *s = &g_sim;
    int stdout_copy;
    /* simavr prints on stdout; keep the real stdout for the port path (or bench JSON) and
     * send everything else that writes to fd 1 to stderr. */
    stdout_copy = dup(STDOUT_FILENO);
    if (stdout_copy < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
        die("cannot redirect stdout: %s", strerror(errno));
    }
    s->out = fdopen(stdout_copy, "w");
    parse_args(s, argc, argv);
    avr_global_logger_set(log_to_stderr);
    if (s->input_path) {
        load_rows(s, s->input_path);
    }
    if (s->events_path) {
        s->events = fopen(s->events_path, "w");
        if (!s->events) {
            die("cannot write --events %s: %s", s->events_path, strerror(errno));
        }
        setvbuf(s->events, NULL, _IOFBF, 1 << 20);
    }
    s->ticks = -1;
    s->inotify_fd = -1;
    mx_rx_init(&s->cmd_rx, 1);
    setup_avr(s);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    if (s->bench_s > 0) {
        bench(s);
    } else {
        serve(s);
    }
    if (s->events) {
        fclose(s->events);
    }
    return 0;
}
