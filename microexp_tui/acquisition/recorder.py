"""A recording: reader, DSP and writer threads joined by bounded queues around one board source.

The reader thread only reads, decodes and hands off (never blocks on anything downstream);
the DSP thread filters into the ring buffer the UI reads; the single writer thread owns the
SQLite connection and commits about a second of data per transaction.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from microexp_tui.acquisition.live_expressions import LiveExpressions, live_expressions
from microexp_tui.acquisition.options import (
    PipelineCounters,
    RecordingOptions,
    RecordingSummary,
    device_description,
    montage_for,
    no_valid_sample_reason,
)
from microexp_tui.acquisition.queues import (
    DRAIN_ITEMS,
    STOP,
    drain,
    merge_blocks,
    merge_chunks,
    send_stop,
    take_waiting,
)
from microexp_tui.acquisition.ring_buffer import RingBuffer
from microexp_tui.acquisition.sink import SessionSink
from microexp_tui.acquisition.sources import Source
from microexp_tui.device.protocol import (
    Ack,
    AckResult,
    Identity,
    MarkerEcho,
    MarkerSource,
)
from microexp_tui.device.stream import FramedStream, LegacyStream, SampleBlock, StreamCounters
from microexp_tui.device.transport import BACKLOG_BYTES
from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.expressions import Expression
from microexp_tui.domain.markers import describe_marker
from microexp_tui.domain.recording import Batch, PredictionRecord
from microexp_tui.domain.sessions import EMPTY_STATUS
from microexp_tui.dsp.activations import unsupported_rate
from microexp_tui.dsp.artifacts import IntervalJoiner, StreamingArtifactDetector, flag_intervals
from microexp_tui.dsp.filters import FilterSettings, StreamingFilterBank
from microexp_tui.errors import DeviceError, MicroexpError, ModelError, StoreError
from microexp_tui.inference.prediction import Prediction
from microexp_tui.study.protocols import ScheduledMarker, marker_schedule

if TYPE_CHECKING:  # onnxruntime is imported only when a recording classifies live
    from microexp_tui.inference.live import LiveClassifier

log = logging.getLogger(__name__)

QUEUE_ITEMS = 4096
RECONNECT_RETRY_S = 0.5
RATE_CHANGE_TO_STORE_LIVE = 1e-3
"""While recording, a measured rate is stored again when it moved by more than 0.1%."""
RATE_CHANGE_TO_STORE_AT_END = 1e-9
"""At the end, any change is stored: the session keeps the rate measured over all of it."""
NO_SIGNAL_GRACE_S = 2.0
"""A timed recording whose board stops sending ends this long after its signal would have."""
MARKER_ECHO_WAIT_S = 1.0
"""How long a stop waits for the board to echo markers already sent (they carry the index)."""
BATCH_MAX_BYTES = 256 * 1024
"""A transaction holds at most this much sample data (16 s of 8 channels at 1 kHz): an unpaced
stream is stored in tens of transactions a second instead of hundreds of one-second ones."""
READ_PERIOD_S = 0.05
"""A paced board is read this often, each read taking what is waiting without waiting for
more (one system call, not a wake-up per write of the board): far below the 200 ms event
budget, and the DSP thread works every `DSP_PERIOD_S` anyway. A queued marker wakes the
reader at once (`mark`) and a protocol marker's onset ends the wait early, so markers are
not delayed by it; a stream that is ahead (a read of `BACKLOG_BYTES` or more) is read on
without waiting."""
MIN_READ_WAIT_S = 0.002
"""The wait before the first sample and the shortest before a protocol marker's onset (the
board writes every few ms)."""
RECORD_POLL_S = 0.25
"""How often `record_for` looks at how far the recording has got (its end is an event)."""
DSP_PERIOD_S = 0.1
"""The DSP thread wakes at most this often and works on every block that came in meanwhile
(merged): its per-call costs (filters, flags, detection, classifier, hand-offs) are paid ten
times a second rather than once per read. Stored results do not depend on it (every stage is
chunk-invariant); the ring buffer the screens read, the live expressions and the latest
prediction move on in steps of up to this long (the default classification hop)."""


@dataclass(frozen=True)
class _Predictions:
    """Live predictions on their way from the DSP thread to the writer."""

    items: list[Prediction]


@dataclass(frozen=True)
class _Marker:
    """A marker echo on its way to the writer, with the wall time the reader had it."""

    echo: MarkerEcho
    wall_time_s: float


@dataclass(frozen=True)
class _Expressions:
    """Live expressions on their way from the DSP thread to the writer."""

    items: list[Expression]


class Recorder:
    """One recording from a board into a session sink (the store), with a live ring buffer."""

    def __init__(self, source: Source, store: SessionSink, options: RecordingOptions) -> None:
        """Prepare; nothing is opened until `start`."""
        self.source = source
        self.store = store
        self.options = options
        self.link_counters = StreamCounters()
        self.counters = PipelineCounters()
        self.identity: Identity | None = None
        self.sample_rate_hz = 0.0
        """The stream's rate at start (filters, buffers); a legacy sketch's is refined later."""
        self._stored_rate_hz = 0.0
        self.session_id: int | None = None
        self.participant_code = ""
        self.ring: RingBuffer | None = None
        self.error: MicroexpError | None = None
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._wake_reader = threading.Event()
        """Set by a queued marker or a stop: the reader's wait between reads ends early."""
        self._wake_writer = threading.Event()
        """Set by a stop or a read of a stream that runs ahead: the writer works at once."""
        self._writer_queue: queue.Queue[Any] = queue.Queue(QUEUE_ITEMS)
        self._dsp_queue: queue.Queue[Any] = queue.Queue(QUEUE_ITEMS)
        self._threads: list[threading.Thread] = []
        self._stream: FramedStream | LegacyStream | None = None
        self._schedule: list[ScheduledMarker] = []
        self._pending_markers: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._samples_written = 0
        self._chunk_samples = 1
        """Sample sets per stored chunk at most (a second of signal; set by the writer)."""
        self._markers_in_flight = 0
        self.on_marker: Callable[[MarkerEcho], None] | None = None
        self.classifier: LiveClassifier | None = None
        self.latest_prediction: Prediction | None = None
        """Newest live prediction (the UI polls it like the ring buffer)."""
        self.classification_error: str | None = None
        self.model_problem: str | None = None
        """Why a model that need not fit (`model_required` False) was left out at start."""
        self.signal_complete = threading.Event()
        """Set once the samples up to `end_after`'s index are in (later ones are dropped)."""
        self._end_index: int | None = None
        self.expressions: LiveExpressions | None = None
        """Live expression detection (set by `start`); screens poll its feed."""
        self._found: list[Expression] = []
        self._expression_parameters: dict[str, Any] = {}

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> int:
        """Open the board, create the session, start the threads; returns the session id."""
        identity = self.source.open()
        self.identity = identity
        rate_hz = self.sample_rate_hz = self._stored_rate_hz = self.source.stream_rate_hz
        montage = montage_for(identity)
        if self.options.model is not None:
            try:
                self.classifier = self._classifier(montage, rate_hz)
            except ModelError as err:
                if self.options.model_required:
                    self.source.close()
                    raise
                self._skip_model(err)
            except MicroexpError:
                self.source.close()
                raise
        participant = self._participant()
        self.participant_code = participant.code
        self.session_id = self.store.start_session(
            participant.id,
            sample_rate_hz=rate_hz,
            channels=montage,
            device=device_description(identity, self.source) | self.options.extra_device,
            simulated=identity.simulated,
            protocol=self.options.protocol.name if self.options.protocol else None,
            operator=self.options.operator,
        )
        if self.classifier is not None:
            self._start_prediction_run(self.classifier)
        self.ring = RingBuffer(max(1, int(self.options.ring_s * rate_hz)), identity.channel_count)
        problem = unsupported_rate([s.sensor_kind for s in montage], rate_hz)
        if problem:
            log.warning("no live expression detection: %s", problem)
        else:
            self.expressions = live_expressions(
                montage, self._filter_settings(rate_hz), self.classifier
            )
            self._expression_parameters = self.expressions.parameters()
        if self.options.protocol is not None:
            self._schedule = marker_schedule(self.options.protocol)
        self._stream = self.source.new_stream(self.link_counters, 0)
        self.source.start()
        self.connected.set()
        self._threads = [
            threading.Thread(target=self._guarded(loop), name=f"microexp-{name}", daemon=True)
            for name, loop in (
                ("reader", self._read_loop),
                ("dsp", self._dsp_loop),
                ("writer", self._write_loop),
            )
        ]
        for thread in self._threads:
            thread.start()
        return self.session_id

    def _classifier(self, montage: list[ChannelSpec], sample_rate_hz: float) -> LiveClassifier:
        """The live classifier; ModelError when the model does not fit the montage or rate."""
        from microexp_tui.inference.fit import check_live_fit
        from microexp_tui.inference.live import LiveClassifier

        assert self.options.model is not None
        check_live_fit(self.options.model.card, montage, sample_rate_hz)
        return LiveClassifier(
            self.options.model,
            float(sample_rate_hz),
            [spec.muscle for spec in montage],
            [spec.sensor_kind for spec in montage],
            hop_ms=self.options.hop_ms,
            calibration=self.options.calibration,
        )

    def end_after(self, duration_s: float) -> int:
        """Keep samples up to index duration x rate (the rate at start), no later ones; returns
        that end index (`signal_complete` is set when it is reached)."""
        self._end_index = max(1, round(duration_s * self.sample_rate_hz))
        return self._end_index

    def _skip_model(self, err: ModelError) -> None:
        """Record without the soft model that does not fit, keeping why."""
        assert self.options.model is not None
        self.model_problem = f"live model {self.options.model.model_id} left out: {err}"
        log.info("%s", self.model_problem)
        self.options.model = None

    def _filter_settings(self, sample_rate_hz: float) -> FilterSettings:
        """The live filter chain's settings (the DSP thread and the detector share them)."""
        return FilterSettings(sample_rate_hz=float(sample_rate_hz), mains_hz=self.options.mains_hz)

    def _start_prediction_run(self, classifier: LiveClassifier) -> None:
        """Register the live run so the writer's prediction rows have a home."""
        assert self.session_id is not None
        card = classifier.model.card
        self.store.start_prediction_run(
            self.session_id,
            card.model_id,
            kind="live",
            classes=card.output_classes,
            hop_ms=classifier.hop_ms,
            window_samples=classifier.window_samples,
            model_card=card.raw,
            display=card.display.as_json(classifier.hop_samples),
        )

    def _guarded(self, loop: Callable[[], None]) -> Callable[[], None]:
        """Wrap a thread body so an unexpected exception stops the recording, not the thread."""

        def run() -> None:
            try:
                loop()
            except Exception as err:  # a bug must not lose the session: stop and report it
                log.exception("%s failed", threading.current_thread().name)
                self.error = MicroexpError(
                    f"Internal error in {threading.current_thread().name}: {err!r}; the data "
                    "recorded so far is saved. Please report this with the log."
                )
                self._stop.set()

        return run

    def _participant(self) -> Any:
        """The participant named by code, created when new (the one test participant when no
        code is given, never a new one per recording)."""
        code = self.options.participant_code
        if not code:
            return self.store.test_participant()
        existing = self.store.participant_by_code(code)
        if existing is not None:
            return existing
        return self.store.create_participant(code=code)

    def stop(self, status: str = "completed") -> RecordingSummary:
        """Stop reading, flush the last batch, mark the session and return its summary."""
        self._await_marker_echoes()
        self._stop.set()
        self._wake_reader.set()
        self._wake_writer.set()
        reader, dsp, writer = self._threads
        reader.join()
        self.source.stop()
        self.source.close()
        send_stop(self._dsp_queue, dsp)
        send_stop(self._writer_queue, writer)
        if self.error is None:
            self._store_measured_rate(RATE_CHANGE_TO_STORE_AT_END)
        if self.error is not None and status == "completed":
            status = "interrupted"
        empty = status == "completed" and self._samples_written == 0
        if empty:
            status = EMPTY_STATUS
        assert self.session_id is not None and self.identity is not None
        self._finish(status)
        if empty:
            return self._summary(
                status, no_valid_sample_reason(self.source.port, self.all_counters())
            )
        return self._summary(status, str(self.error) if self.error else None)

    def failed_start(self, error: MicroexpError) -> RecordingSummary:
        """Close the board and mark the session interrupted when `start` failed after creating
        it (e.g. the disk filled while storing the prediction run); the summary says why."""
        assert self.session_id is not None and self.identity is not None
        self.error = error
        self.source.close()
        self._finish("interrupted")
        return self._summary("interrupted", str(error))

    def _summary(self, status: str, error: str | None) -> RecordingSummary:
        """What the recording reports: its session, status, counters and why it failed."""
        assert self.session_id is not None and self.identity is not None
        return RecordingSummary(
            session_id=self.session_id,
            status=status,
            participant_code=self.participant_code,
            channels=self.identity.channel_count,
            sample_rate_hz=self._stored_rate_hz,
            samples_per_channel=self._samples_written,
            simulated=self.identity.simulated,
            legacy=self.source.legacy,
            counters=self.all_counters(),
            error=error,
            model_problem=self.model_problem,
        )

    def _await_marker_echoes(self, timeout_s: float = MARKER_ECHO_WAIT_S) -> None:
        """Give markers sent just before a stop the time to come back at their sample index."""
        deadline_s = time.monotonic() + timeout_s
        while (
            (self._markers_in_flight > 0 or not self._pending_markers.empty())
            and self.connected.is_set()
            and not self._stop.is_set()
            and time.monotonic() < deadline_s
        ):
            time.sleep(0.01)

    def _finish(self, status: str) -> None:
        """Mark the session; if the store is broken the next open marks it interrupted."""
        assert self.session_id is not None
        try:
            self.store.finish_session(self.session_id, status)
        except StoreError as err:
            log.error("could not mark session %s %s: %s", self.session_id, status, err)

    @property
    def _model_id(self) -> str:
        """Model id of the live classification run (empty without a model)."""
        return self.options.model.model_id if self.options.model is not None else ""

    @property
    def stopping(self) -> bool:
        """Whether a stop was requested or a fatal error stopped the recording."""
        return self._stop.is_set()

    def all_counters(self) -> dict[str, int]:
        """Link and pipeline counters together, by name."""
        out = self.link_counters.as_dict()
        out.update(vars(self.counters))
        return out

    def samples_received(self) -> int:
        """Session index of the next expected sample (how far the recording has got)."""
        return self._stream.next_index if self._stream is not None else 0

    def mark(self, code: int) -> None:
        """Queue a marker (operator key or stimulus) to be applied by the board; while the
        board is lost, store it on the host side at the last sample received (a pause on a
        lost board belongs before the gap, not after the reconnection)."""
        if self._stream is not None and not self.connected.is_set():
            echo = MarkerEcho(self.samples_received(), code, MarkerSource.HOST)
            self.counters.markers += 1
            self._offer(self._writer_queue, _Marker(echo, time.time()))
            return
        self._pending_markers.put(code)
        self._wake_reader.set()

    # -- reader thread ---------------------------------------------------------------------

    def _read_loop(self) -> None:
        """Read what is waiting, decode, dispatch, send due markers, then wait for the next
        read; reconnect when the board is lost."""
        assert self.identity is not None
        while not self._stop.is_set():
            try:
                data = self.source.read()
            except DeviceError as err:
                self._reconnect(err)
                continue
            if data:
                assert self._stream is not None
                for item in self._stream.feed(data, time.monotonic()):
                    self._dispatch(item)
            self._send_due_markers()
            if len(data) >= BACKLOG_BYTES:  # a stream that runs ahead: no waiting anywhere
                self._wake_writer.set()
            else:  # a paced board: let its writes gather
                self._wake_reader.wait(self._read_wait_s())
                self._wake_reader.clear()  # a marker queued meanwhile is sent after this read

    def _read_wait_s(self) -> float:
        """How long the reader waits before its next read: a read period, or until the next
        protocol marker's onset on the sample clock when that comes sooner (a few ms before
        the first sample: an unpaced stream starts at once)."""
        if self.samples_received() == 0:
            return MIN_READ_WAIT_S
        if not self._schedule or self.sample_rate_hz <= 0:
            return READ_PERIOD_S
        due_s = self._schedule[0].onset_s - self.samples_received() / self.sample_rate_hz
        return min(READ_PERIOD_S, max(MIN_READ_WAIT_S, due_s))

    def _dispatch(self, item: object) -> None:
        """Hand one decoded item to the threads that need it (none past the signal's end)."""
        item = self._within_duration(item)
        if isinstance(item, SampleBlock):
            self._offer(self._writer_queue, item)
            self._offer(self._dsp_queue, item)
        elif isinstance(item, MarkerEcho):
            self.counters.markers += 1
            self._markers_in_flight = max(0, self._markers_in_flight - 1)
            self._offer(self._writer_queue, _Marker(item, time.time()))
            if self.on_marker is not None:
                self.on_marker(item)
        elif isinstance(item, Ack) and item.result != AckResult.OK:
            self.counters.refused_commands += 1
            log.warning("board refused command 0x%02x: result %s", item.command, item.result)

    def _within_duration(self, item: object) -> object:
        """The part of an item before the end index of `end_after` (None past it)."""
        end = self._end_index
        if end is None:
            return item
        if isinstance(item, MarkerEcho):
            return item if item.sample_index < end else None
        if not isinstance(item, SampleBlock):
            return item
        if item.stop_index >= end:
            self.signal_complete.set()
        if item.stop_index <= end:
            return item
        if item.first_index >= end:
            return None
        keep = end - item.first_index
        mask = item.out_of_range
        return replace(
            item, counts=item.counts[:keep], out_of_range=None if mask is None else mask[:keep]
        )

    def _offer(self, target: queue.Queue[Any], item: object) -> None:
        """Put without blocking; a full queue drops the item and counts it."""
        try:
            target.put_nowait(item)
        except queue.Full:
            self.counters.queue_overflows += 1

    def _send_due_markers(self) -> None:
        """Send operator markers and protocol markers whose time has come on the sample clock."""
        while True:
            try:
                code = self._pending_markers.get_nowait()
            except queue.Empty:
                break
            self._send_marker(code)
        if not self._schedule or self.identity is None:
            return
        now_s = self.samples_received() / self.sample_rate_hz
        while self._schedule and self._schedule[0].onset_s <= now_s:
            self._send_marker(self._schedule.pop(0).code)

    def _send_marker(self, code: int) -> None:
        """Apply a marker on the board, or on the host side for a legacy sketch."""
        if self.source.supports_markers:
            try:
                self.source.send_marker(code)
                self._markers_in_flight += 1
            except DeviceError as err:
                log.warning("marker 0x%04x not sent: %s", code, err)
            return
        echo = MarkerEcho(self.samples_received(), code, MarkerSource.HOST)
        self._dispatch(echo)

    def _reconnect(self, err: DeviceError) -> None:
        """Wait for the board to come back, then resume with the gap accounted for."""
        assert self.identity is not None
        self.counters.disconnects += 1
        self.connected.clear()
        log.warning("board lost: %s; reconnecting", err)
        lost_at_index = self.samples_received()
        lost_at_s = time.monotonic()
        self.source.close()
        while not self._stop.is_set():
            try:
                identity = self.source.open()
            except MicroexpError:
                self._stop.wait(RECONNECT_RETRY_S)
                continue
            if (identity.channel_count, identity.sample_rate_hz) != (
                self.identity.channel_count,
                self.identity.sample_rate_hz,
            ):
                self.error = DeviceError(
                    f"The board came back on {self.source.port} with "
                    f"{identity.channel_count} channels at {identity.sample_rate_hz} Hz instead "
                    f"of {self.identity.channel_count} at {self.identity.sample_rate_hz} Hz; "
                    "stopped the recording rather than mix configurations."
                )
                self._stop.set()
                return
            back_at_s = self.source.first_sample_at_s or time.monotonic()
            elapsed_samples = round((back_at_s - lost_at_s) * self.sample_rate_hz)
            resume_index = lost_at_index + max(1, elapsed_samples)
            self._stream = self.source.new_stream(self.link_counters, resume_index)
            self.source.start()
            self.counters.reconnects += 1
            self.counters.unechoed_markers += self._markers_in_flight
            self._markers_in_flight = 0
            self.connected.set()
            log.warning("board back; resuming at sample %d", resume_index)
            return

    # -- DSP thread ------------------------------------------------------------------------

    def _dsp_loop(self) -> None:
        """Filter each block into the ring buffer and report artifact intervals."""
        assert self.identity is not None and self.ring is not None
        kinds = ["raw" if kind == 1 else "envelope" for kind in self.identity.sensor_kinds]
        settings = self._filter_settings(self.sample_rate_hz)
        bank = StreamingFilterBank(kinds, settings)
        detector = StreamingArtifactDetector(
            self.sample_rate_hz, self.identity.channel_count, sensor_kinds=kinds
        )
        joiner = IntervalJoiner()
        while True:
            items = drain(self._dsp_queue)
            stopping = items[-1] is STOP
            closed = []
            for block in merge_blocks([item for item in items if item is not STOP]):
                filtered = bank.process(block.counts)
                flags = detector.process(block.counts)
                self.ring.write(block.first_index, filtered, flags)
                closed += joiner.push(flag_intervals(flags, block.first_index), block.stop_index)
                self._classify(block.first_index, filtered)
                self._detect(block, filtered, flags)
            if stopping:
                closed += joiner.flush()
                self._detect(None, None, None)
            if closed:
                self._offer(self._writer_queue, closed)
            if stopping:
                return
            if len(items) < DRAIN_ITEMS:  # caught up: let blocks gather; else work on at once
                self._stop.wait(DSP_PERIOD_S)

    def _detect(
        self, block: SampleBlock | None, filtered: np.ndarray | None, flags: np.ndarray | None
    ) -> None:
        """Detect expressions in a filtered block (None: the recording ends, flush them)."""
        if self.expressions is None:
            return
        try:
            if block is None or filtered is None or flags is None:
                found = self.expressions.flush()
            else:
                found = self.expressions.push(
                    block.first_index, filtered, flags, block.receive_time_s
                )
        except Exception:  # the recording matters more than its live expression detection
            log.exception("live expression detection failed; recording continues without it")
            self.expressions = None
            return
        if found:
            self.counters.expressions += len(found)
            self._offer(self._writer_queue, _Expressions(found))

    def _classify(self, first_index: int, filtered: np.ndarray) -> None:
        """Classify due windows and queue the predictions; a failing model stops only itself."""
        if self.classifier is None:
            return
        try:
            predictions = self.classifier.push(first_index, filtered)
        except Exception as err:  # the recording matters more than its live classification
            log.exception("live classification failed; recording continues without it")
            self.classification_error = f"live classification stopped: {err}"
            self.classifier = None
            return
        if predictions:
            self.latest_prediction = predictions[-1]
            self.counters.predictions += len(predictions)
            self._offer(self._writer_queue, _Predictions(predictions))

    # -- writer thread ---------------------------------------------------------------------

    def _write_loop(self) -> None:
        """Batch samples, markers, gaps and artifacts into one transaction about once a second
        (of wall time: a stream that runs ahead fills larger transactions, up to
        `BATCH_MAX_BYTES` of samples, of chunks of at most a second of signal each); the
        thread wakes when a commit is due, not per item, unless a backlog is coming in."""
        assert self.identity is not None and self.session_id is not None
        self._chunk_samples = max(1, int(self.options.batch_s * self.sample_rate_hz))
        batch_samples = max(
            self._chunk_samples, BATCH_MAX_BYTES // (2 * self.identity.channel_count)
        )
        batch = Batch()
        pending = 0
        expected_index = 0
        last_commit_s = time.monotonic()
        behind = False
        while True:
            items = self._writer_items(None if behind else last_commit_s + self.options.batch_s)
            behind = len(items) >= DRAIN_ITEMS
            for item in items:
                if item is STOP:
                    self._commit(batch)
                    return
                if isinstance(item, _Expressions):
                    self._found.extend(item.items)
                if isinstance(item, SampleBlock):
                    if item.first_index > expected_index:
                        batch.gaps.append((expected_index, item.first_index - expected_index))
                    batch.chunks.append((item.first_index, item.stored_values()))
                    pending += item.counts.shape[0]
                    expected_index = item.stop_index
                elif isinstance(item, _Marker):
                    echo = item.echo
                    batch.markers.append(
                        (
                            echo.sample_index,
                            echo.code,
                            echo.source,
                            describe_marker(echo.code),
                            item.wall_time_s,
                        )
                    )
                elif isinstance(item, _Predictions):
                    batch.predictions.extend(_prediction_records(item.items, self._model_id))
                elif isinstance(item, list):
                    batch.artifacts.extend(
                        (iv.channel, iv.flag.name.lower(), iv.start_index, iv.stop_index)
                        for iv in item
                    )
                if pending >= batch_samples:  # a stream that runs ahead: commit, go on at once
                    behind = True
                    if not self._commit(batch):
                        return
                    batch, pending, last_commit_s = Batch(), 0, time.monotonic()
            due = time.monotonic() - last_commit_s >= self.options.batch_s
            events = batch.markers or batch.artifacts or batch.predictions or self._found
            if due and (pending or events):  # everything taken so far goes into this one
                if not self._commit(batch):
                    return
                batch, pending, last_commit_s = Batch(), 0, time.monotonic()

    def _writer_items(self, commit_due_s: float | None) -> list[Any]:
        """The items queued for the writer, taken when the next commit is due (`commit_due_s`,
        monotonic; a second on when it has passed; None: at once, a backlog is coming in) or
        when the reader wakes it; once stopping, the queue is waited on for the stop
        sentinel."""
        if commit_due_s is not None and not self._stop.is_set():
            wait_s = commit_due_s - time.monotonic()
            self._wake_writer.wait(wait_s if wait_s > 0 else self.options.batch_s)
            self._wake_writer.clear()
        items = take_waiting(self._writer_queue)
        if not items and self._stop.is_set():
            with contextlib.suppress(queue.Empty):
                items = [self._writer_queue.get(timeout=0.1)]
        return items

    def _commit(self, batch: Batch) -> bool:
        """Write one batch; on a store failure stop the recording cleanly and keep what is saved."""
        assert self.session_id is not None
        batch.chunks = merge_chunks(batch.chunks, self._chunk_samples)
        batch.counters = self.all_counters()
        try:
            self.store.write_batch(self.session_id, batch)
        except MicroexpError as err:  # StoreError (disk full...) or a batch the store refused
            self.error = err
            self._stop.set()
            return False
        self._samples_written += sum(counts.shape[0] for _, counts in batch.chunks)
        return self._store_measured_rate(RATE_CHANGE_TO_STORE_LIVE) and self._save_expressions()

    def _store_measured_rate(self, min_change: float) -> bool:
        """Store the stream's rate when it moved by more than `min_change` (relative) from the
        stored one: a legacy sketch's rate is measured from its millis as the recording goes."""
        if self.session_id is None or self._stored_rate_hz <= 0:
            return True
        try:
            rate_hz = self.source.stream_rate_hz
        except DeviceError:
            return True
        if abs(rate_hz - self._stored_rate_hz) <= min_change * self._stored_rate_hz:
            return True
        try:
            self.store.update_sample_rate(
                self.session_id,
                rate_hz,
                f"measured from the board clock over {self.samples_received()} samples",
            )
        except MicroexpError as err:
            self.error = err
            self._stop.set()
            return False
        self._stored_rate_hz = rate_hz
        return True

    def _save_expressions(self) -> bool:
        """Store the live expressions found since the last commit (writer thread)."""
        if not self._found or self.session_id is None:
            return True
        found, self._found = self._found, []
        try:
            self.store.save_expressions(self.session_id, found, "live", self._expression_parameters)
        except MicroexpError as err:
            self.error = err
            self._stop.set()
            return False
        return True


def _prediction_records(items: list[Prediction], model_id: str) -> list[PredictionRecord]:
    """Store records of live predictions."""
    return [
        PredictionRecord(
            model_id, p.sample_index, p.label, p.activation, p.probabilities, p.raw_probabilities
        )
        for p in items
    ]


def record_for(
    recorder: Recorder, duration_s: float, on_recording: Callable[[], None] | None = None
) -> RecordingSummary:
    """Run a started recorder until it holds `duration_s` seconds of signal (sample index
    duration x rate; start-up takes nothing from it), or until the board has sent nothing
    for NO_SIGNAL_GRACE_S past when that signal should have ended; Ctrl-C stops it as
    aborted (also during `on_recording`, called first: what to say as the recording runs)."""
    status = "completed"
    rate_hz = recorder.sample_rate_hz
    end_index = recorder.end_after(duration_s)
    try:
        if on_recording is not None:
            on_recording()
        seen = recorder.samples_received()
        deadline = time.monotonic() + duration_s + NO_SIGNAL_GRACE_S
        while not (recorder.signal_complete.is_set() or recorder.stopping):
            if time.monotonic() > deadline:
                log.warning("the board sent no signal for %.0f s; stopping", NO_SIGNAL_GRACE_S)
                break
            recorder.signal_complete.wait(RECORD_POLL_S)
            now = recorder.samples_received()
            if now != seen:
                seen = now
                remaining_s = max(0, end_index - now) / rate_hz
                deadline = time.monotonic() + remaining_s + NO_SIGNAL_GRACE_S
    except KeyboardInterrupt:
        status = "aborted"
    return recorder.stop(status)
