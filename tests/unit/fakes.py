"""One fake transport and one fake clock for every backend-free unit test.

:class:`FakeTransport` implements :class:`bloop.drivers.transport.Transport` (and
:class:`AsyncFakeTransport` its async twin) from the outside: it checks each request
against botocore's real DynamoDB service model, records it, and answers with the
next canned outcome or with ``respond(call)``.  Put one on a real engine with
:func:`fake_engine` (``engine.transport = ...`` is all it takes), so the engine's own
driver, searcher and facades run unchanged.  :class:`FakeClock` is a monotonic clock
whose ``sleep`` advances it, for engines' ``clock=`` and ``sleep=``.
"""
from collections import deque
from typing import Any, Callable, Iterable, List, Optional, Sequence, Tuple

from bloop import Engine
from bloop.operations import Call

from tests.unit.helpers import dynamodb_client, validate_request


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
        validate_request(call.operation, call.request)
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
