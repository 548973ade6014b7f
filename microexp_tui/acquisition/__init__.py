"""Threads, queues and ring buffer that join device, dsp and store into a recording."""
