"""What every component shares: the spec settings it takes, and a registry that finds it by name."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, ClassVar, Generic, Iterator, TypeVar

from ..text.message import Msg, owned


def anything(_: Fraction) -> bool:
    """Accepts every number (the default check of a setting)."""
    return True


@dataclass(frozen=True)
class Setting:
    """One spec key a component takes, with its default and the values it accepts.

    ``kind`` is how the spec reader reads it: ``number``, ``pair`` (two numbers, described by
    ``shape``), ``flag`` (true or false) or ``choice`` (one of ``choices``). ``expected`` is the
    message's "expected ..." phrase for one number.
    """

    key: str
    default: Any
    expected: str = "a number"
    accept: Callable[[Fraction], bool] = anything
    kind: str = "number"
    choices: tuple[str, ...] = ()
    shape: str = ""


class Component:
    """An activation, loss or optimizer: a frozen dataclass whose fields are its settings.

    The component owns its English words: ``messages`` maps a message name to its text, and a
    language's catalogue may give the same key (``<family>.<name>.<message>``) in its own words.
    """

    family: ClassVar[str]
    name: ClassVar[str]
    settings: ClassVar[tuple[Setting, ...]] = ()
    messages: ClassVar[dict[str, str]] = {}

    def setting_values(self) -> dict[str, Any]:
        """The settings' current values, keyed by spec key."""
        return {setting.key: getattr(self, setting.key) for setting in self.settings}

    def words(self) -> Msg:
        """How prose names this component ("the logistic sigmoid"), with its settings where they matter."""
        return owned(self, "words")

    @classmethod
    def setting_keys(cls) -> tuple[str, ...]:
        """The spec keys this component takes."""
        return tuple(setting.key for setting in cls.settings)

    @classmethod
    def message_key(cls, message: str) -> str:
        """The catalogue key of one of this component's messages."""
        return f"{cls.family}.{cls.name}.{message}"


C = TypeVar("C", bound=Component)


class Registry(Generic[C]):
    """The components of one family by name, in the order they were added."""

    def __init__(self, family: str, plural: str | None = None) -> None:
        self.family = family
        self.plural = plural or family + "s"  # "losses", where adding an "s" would not do
        self._classes: dict[str, type[C]] = {}

    def add(self, cls: type[C]) -> type[C]:
        """Register a component class (use as a decorator)."""
        cls.family = self.family
        self._classes[cls.name] = cls
        return cls

    def names(self) -> tuple[str, ...]:
        """Every registered name."""
        return tuple(self._classes)

    def __contains__(self, name: object) -> bool:
        return name in self._classes

    def __getitem__(self, name: str) -> type[C]:
        try:
            return self._classes[name]
        except KeyError:
            raise KeyError(f"no {self.family} named {name!r}; the {self.plural} are {', '.join(self._classes)}") from None

    def __iter__(self) -> Iterator[type[C]]:
        return iter(self._classes.values())

    def make(self, name: str, **settings: Any) -> C:
        """An instance of the component called ``name`` with the given settings."""
        return self[name](**settings)

    def setting_keys(self) -> tuple[str, ...]:
        """Every spec key any component of the family takes, in first-seen order."""
        keys: dict[str, None] = {}
        for cls in self._classes.values():
            for setting in cls.settings:
                keys.setdefault(setting.key)
        return tuple(keys)

    def owners(self, key: str) -> tuple[str, ...]:
        """The names of the components that take the spec key ``key``."""
        return tuple(name for name, cls in self._classes.items() if any(s.key == key for s in cls.settings))


class Ops:
    """What a component's numeric forms use from an arithmetic (the engine provides two).

    ``exact`` tells which form to compute: the exact/high-precision one (values are Fractions or
    mpmath floats of ``mp``, a private mpmath context) or the float64 one (Python floats).
    """

    exact: bool
    mp: Any

    def mpf(self, value: Any) -> Any:
        """The value as a float of the exact arithmetic's mpmath context."""
        raise NotImplementedError


def discover(package: str, path: Any) -> None:
    """Import every module of a component family's package, so that each registers its component.

    A new component is a new file in the family's folder; nothing else lists it.
    """
    import importlib
    import pkgutil

    for module in sorted(info.name for info in pkgutil.iter_modules(path)):
        if module != "base":
            importlib.import_module(f"{package}.{module}")
