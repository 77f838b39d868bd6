"""One fake transport and one fake clock for every backend-free unit test.

:class:`FakeTransport` implements :class:`bloop.drivers.transport.Transport` (and
:class:`AsyncFakeTransport` its async twin) from the outside: it checks each request
against botocore's real DynamoDB service model, records it, and answers with the
next canned outcome or with ``respond(call)``.  Put one on a real engine with
:func:`fake_engine` (``engine.transport = ...`` is all it takes), so the engine's own
driver, searcher and facades run unchanged.  :class:`FakeClock` is a monotonic clock
whose ``sleep`` advances it, for engines' ``clock=`` and ``sleep=``.
"""
import functools
from collections import deque
from typing import Any, Callable, Iterable, List, Optional, Sequence, Tuple

import botocore.session
import botocore.validate

from bloop import Engine
from bloop.drivers.drive import drive
from bloop.operations import NOT_SENT, Call, Op, Sleep
from bloop.session import _STREAM_OPERATIONS

from tests.unit.helpers import dynamodb_client, validate_request


@functools.lru_cache(maxsize=None)
def _streams_model() -> Any:
    return botocore.session.get_session().get_service_model("dynamodbstreams")


def validate_call(call: Call) -> None:
    """Check a call's request against botocore's model of the service it goes to."""
    if call.operation in _STREAM_OPERATIONS:
        model = _streams_model()
        api_name = "".join(part.title() for part in call.operation.split("_"))
        botocore.validate.validate_parameters(call.request, model.operation_model(api_name).input_shape)
    else:
        validate_request(call.operation, call.request)


class FakeTransport:
    """Answers each call with the next of ``answers`` (a response dict, or a bloop
    exception to return as that call's outcome) or, when given, ``respond(call)``.

    :ivar requests: ``(operation, request)`` of every call, in order.
    :ivar steps: the calls of each step, as sent.
    """

    def __init__(self, answers: Iterable[Any] = (), respond: Optional[Callable[[Call], Any]] = None) -> None:
        self.answers = deque(answers)
        self.respond = respond
        self.requests: List[Tuple[str, dict]] = []
        self.steps: List[List[Call]] = []

    def answer(self, call: Call) -> Any:
        validate_call(call)
        if call.expired is not None and call.expired():
            return NOT_SENT  # as bloop's transports do: not started
        self.requests.append((call.operation, call.request))
        if self.respond is not None:
            return self.respond(call)
        if not self.answers:
            raise AssertionError(f"no answer left for {call!r}")
        return self.answers.popleft()

    def send(self, calls: Sequence[Call]) -> List[Any]:
        self.steps.append(list(calls))
        return [self.answer(call) for call in calls]


class AsyncFakeTransport(FakeTransport):
    """:class:`FakeTransport` for an async engine: ``await transport.send(calls)``."""

    async def send(self, calls: Sequence[Call]) -> List[Any]:  # type: ignore[override]
        return FakeTransport.send(self, calls)


class Driver:
    """Runs an operation with bloop's own driver (:func:`bloop.drivers.drive.drive`) on a
    :class:`FakeTransport` (``respond(call)``) and a :class:`FakeClock`, keeping every
    step it took in order: a list of calls, or a :class:`~bloop.operations.Sleep`."""

    def __init__(self, op: Op, clock: "FakeClock", respond: Callable[[Call], Any]) -> None:
        self.op = op
        self.clock = clock
        self.transport = FakeTransport(respond=respond)
        self.steps: List[Any] = []

    def run(self) -> Any:
        return drive(self.op, self._send, self._sleep)

    def _send(self, calls: Sequence[Call]) -> List[Any]:
        assert calls and all(isinstance(call, Call) for call in calls)
        self.steps.append(list(calls))
        return self.transport.send(calls)

    def _sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.steps.append(Sleep(seconds))
        self.clock.sleep(seconds)

    @property
    def sent(self) -> List[Tuple[str, dict]]:
        """``(operation, request)`` of the calls the transport started, in order."""
        return self.transport.requests

    @property
    def calls(self) -> List[Call]:
        return [call for step in self.rounds for call in step]

    @property
    def rounds(self) -> List[List[Call]]:
        return [step for step in self.steps if isinstance(step, list)]

    @property
    def sleeps(self) -> List[float]:
        return [step.seconds for step in self.steps if isinstance(step, Sleep)]


class FakeClock:
    """Monotonic seconds that only ``sleep`` (or ``advance``) moves."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.slept: List[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


def fake_engine(answers: Iterable[Any] = (), *, respond: Optional[Callable[[Call], Any]] = None,
                table_name_template: Any = "prefix-{table_name}", **options: Any) -> Engine:
    """A real :class:`~bloop.Engine` (on a botocore client it never sends through) whose
    transport is a :class:`FakeTransport`; ``engine.transport.requests`` holds what it sent."""
    engine = Engine(dynamodb_client(), table_name_template=table_name_template, **options)
    engine.transport = FakeTransport(answers, respond)
    return engine
