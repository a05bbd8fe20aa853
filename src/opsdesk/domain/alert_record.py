"""The alert record: one type from the rules' evaluation to the screen (pure, stdlib only).

An alert is raised by `opsdesk.domain.alerts.evaluate`, stored and acknowledged by
`opsdesk.store.alerts`, listed by the stand-up view, `opsdesk check` and the app, always as
this record. What makes two alerts the same alert — rule, shop, metric, day — is defined
here once (`identity`, and `key`, its text form used as the audit object key and the app's
row key). Apart from the rules so that the app's start-up path can hold alerts without
importing the KPI engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

SEVERITIES = ("red", "warning")
"""Red first: the order alerts are listed in."""

Identity = tuple[str, str, str | None, date]
"""(rule key, shop key, metric key or None, day)."""


def key_of(identity: Identity) -> str:
    """An identity as text: `rule/shop/metric/day`, `-` for no metric (the audit object key
    and the app's row key)."""
    rule_key, shop_key, metric_key, day = identity
    return f"{rule_key}/{shop_key}/{metric_key or '-'}/{day.isoformat()}"


@dataclass(frozen=True)
class Alert:
    rule_key: str
    shop_key: str
    metric_key: str | None
    """None for a rule about the whole shop (stale data)."""
    day: date
    severity: str
    """"red" or "warning"."""
    message: str
    value: float | None
    reference: float | None
    """The target or baseline the value was compared with."""
    acked_by: str | None = None
    """Who acknowledged it (None: open)."""
    acked_at: str | None = None
    """When, as stored (ISO 8601 with offset)."""
    acked_label: str | None = None
    """When, as a person reads it: the store's wall time (`20:04`, domain.times.local_label)."""

    @property
    def identity(self) -> Identity:
        """What makes an alert the same alert: rule, shop, metric, day."""
        return (self.rule_key, self.shop_key, self.metric_key, self.day)

    @property
    def key(self) -> str:
        """The identity as text (`key_of`)."""
        return key_of(self.identity)

    @property
    def acknowledged(self) -> bool:
        return self.acked_by is not None

    def with_ack(
        self, acked_by: str | None, acked_at: str | None, acked_label: str | None = None
    ) -> Alert:
        """The same alert with the acknowledgement stored for it."""
        return replace(self, acked_by=acked_by, acked_at=acked_at, acked_label=acked_label)

    def to_wire(self) -> tuple[object, ...]:
        """Plain values (marshal-able: the day as ISO text)."""
        return (
            self.rule_key,
            self.shop_key,
            self.metric_key,
            self.day.isoformat(),
            self.severity,
            self.message,
            self.value,
            self.reference,
            self.acked_by,
            self.acked_at,
            self.acked_label,
        )

    @classmethod
    def from_wire(cls, wire: tuple[object, ...]) -> Alert:
        rule, shop, metric, day, severity, message, value, reference, by, at, label = wire
        return cls(
            str(rule),
            str(shop),
            None if metric is None else str(metric),
            date.fromisoformat(str(day)),
            str(severity),
            str(message),
            None if value is None else float(value),  # type: ignore[arg-type]
            None if reference is None else float(reference),  # type: ignore[arg-type]
            None if by is None else str(by),
            None if at is None else str(at),
            None if label is None else str(label),
        )


def sort_key(alert: Alert) -> tuple[int, str, str, str]:
    """Red first, then by shop, rule and metric."""
    return (
        SEVERITIES.index(alert.severity),
        alert.shop_key,
        alert.rule_key,
        alert.metric_key or "",
    )


def with_acks(raised: Iterable[Alert], stored: Iterable[Alert], tz_name: str) -> list[Alert]:
    """`raised` (evaluated now) with the acknowledgements `stored` holds for the same alerts,
    their time labelled in the store's timezone `tz_name`."""
    from opsdesk.domain.times import local_label

    acks = {a.identity: a for a in stored if a.acknowledged}
    return [
        a
        if (s := acks.get(a.identity)) is None
        else a.with_ack(s.acked_by, s.acked_at, local_label(s.acked_at, tz_name, time_only=True))
        for a in raised
    ]
