"""Plugin registry on Python entry points. Names are listed from metadata; a plugin is imported when used.

Built-in plugins are declared in this project's pyproject.toml exactly as a third-party package declares
its own, so the core never imports one by name.
"""
from __future__ import annotations

import difflib
import importlib.metadata as md
import inspect
import math
import os
import sys
import warnings
from dataclasses import dataclass

GROUPS = ("layers", "models", "optimizers", "schedulers", "regularizers", "augmentations", "datasets", "loggers",
          "callbacks")
PREFIX = "framework."


class PluginError(Exception):
    """Unknown, duplicate or broken plugin; the message names the group, the name and the distribution."""


@dataclass(frozen=True)
class PluginInfo:
    group: str          # short group name, e.g. "optimizers"
    name: str
    target: str         # "module:attr"
    dist: str           # distribution that declares it
    version: str

    def load(self):
        """Import the plugin object; PluginError naming the distribution if that fails."""
        try:
            return md.EntryPoint(self.name, self.target, PREFIX + self.group).load()
        except Exception as e:
            raise PluginError(f"{self.group} plugin {self.name!r} from distribution {self.dist!r} "
                              f"({self.target}) failed to import: {type(e).__name__}: {e}") from e


def _disabled() -> set[str]:
    """Names in FRAMEWORK_DISABLE_PLUGINS (comma-separated) are hidden from the registry."""
    return {n.strip() for n in os.environ.get("FRAMEWORK_DISABLE_PLUGINS", "").split(",") if n.strip()}


def _check_group(group: str) -> str:
    group = group.removeprefix(PREFIX)
    if group not in GROUPS:
        raise PluginError(f"unknown plugin group {group!r}; expected one of {', '.join(GROUPS)}")
    return group


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        warnings.warn(message, RuntimeWarning, stacklevel=3)


def _entry_points(dist) -> list[tuple[str, str, str]]:
    """(group, name, target) of each line of a distribution's entry_points.txt in our groups. Read here rather
    than by importlib.metadata, which fails on the first malformed line of any installed package: a malformed
    line in one of our groups is skipped with a warning naming the distribution; other groups are not ours."""
    try:
        text = dist.read_text("entry_points.txt") or ""
    except (OSError, UnicodeDecodeError):
        return []
    out, group = [], None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1].strip()
            continue
        if group is None or not group.startswith(PREFIX):
            continue
        name, sep, target = (part.strip() for part in line.partition("="))
        if not sep or not name or not target or not all(p.isidentifier() for p in target.split(":")[0].split(".")):
            _warn_once(f"distribution {dist.metadata['Name'] or '?'!r}: entry_points.txt line {number} in "
                       f"[{group}] is malformed ({raw.strip()!r}, expected 'name = module:attr'); skipped")
            continue
        out.append((group, name, target))
    return out


_scanned: dict[tuple[str, ...], list[tuple[str, str, str, str, str]]] = {}


def _scan() -> list[tuple[str, str, str, str, str]]:
    """(group, name, target, distribution, version) of every entry point in our groups of every installed
    distribution: read once per process and sys.path (reading them all takes about 0.1 s), again after `rescan`."""
    key = tuple(sys.path)
    if key not in _scanned:
        _scanned[key] = [(group, name, target, dist.metadata["Name"] or "?", dist.version or "")
                         for dist in md.distributions() for group, name, target in _entry_points(dist)]
    return _scanned[key]


def rescan() -> None:
    """Forget the installed plugins read so far: the next lookup reads them again (after installing a package
    into a running process)."""
    _scanned.clear()


def available(group: str, include_disabled: bool = False) -> dict[str, PluginInfo]:
    """Plugins of a group by name, from installed distributions' metadata (nothing is imported).

    Raises PluginError when two distributions declare the same name.
    """
    group = _check_group(group)
    found: dict[str, PluginInfo] = {}
    off = set() if include_disabled else _disabled()
    for ep_group, name, target, dname, version in _scan():
        if ep_group != PREFIX + group or name in off:
            continue
        info = PluginInfo(group, name, target, dname, version)
        prev = found.get(name)
        if prev is not None and _norm(prev.dist) != _norm(dname):
            raise PluginError(f"{group} plugin {name!r} is declared by two distributions: "
                              f"{prev.dist!r} ({prev.target}) and {dname!r} ({target}); "
                              f"uninstall one or disable it with FRAMEWORK_DISABLE_PLUGINS")
        found.setdefault(name, info)
    return dict(sorted(found.items()))


def _norm(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def info(group: str, name: str) -> PluginInfo:
    """The PluginInfo for a name; an unknown name lists what the group offers and the closest match."""
    plugins = available(group)
    if name not in plugins:
        group = _check_group(group)
        if name in _disabled() and name in available(group, include_disabled=True):
            raise PluginError(f"{group} plugin {name!r} is disabled by the environment variable "
                              f"FRAMEWORK_DISABLE_PLUGINS={os.environ.get('FRAMEWORK_DISABLE_PLUGINS')!r}")
        close = difflib.get_close_matches(str(name), plugins, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise PluginError(f"unknown {group} plugin {name!r}{hint} available: {', '.join(plugins) or 'none'}")
    return plugins[name]


def get(group: str, name: str):
    """Import and return the plugin object (a class or factory function)."""
    return info(group, name).load()


class ParamError(TypeError):
    """A plugin parameter of the wrong type or value; `param` names it."""

    def __init__(self, param: str, message: str):
        super().__init__(f"parameter {param!r}: {message}")
        self.param, self.message = param, message


class UnknownParam(TypeError):
    """A parameter the plugin does not take; `param` names it."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param


_TYPES = {"float": (int, float), "int": (int,), "bool": (bool,), "str": (str,), "None": (type(None),),
          "list": (list, tuple), "tuple": (list, tuple), "dict": (dict,)}


def _expected(p: inspect.Parameter) -> tuple[str, tuple[type, ...]] | None:
    """(description, accepted types) of a parameter, from its annotation (simple builtins and unions of them)
    or else its default; None when neither says."""
    ann = p.annotation
    if ann is not p.empty:
        text = ann if isinstance(ann, str) else inspect.formatannotation(ann)
        names = [t.strip().split("[")[0] for t in text.split("|")]
        if all(n in _TYPES for n in names):
            return " or ".join(names), tuple(t for n in names for t in _TYPES[n])
        return None
    d = p.default
    if isinstance(d, bool):
        return "bool", (bool,)
    if isinstance(d, (int, float)):
        return "a number", (int, float)
    if isinstance(d, str):
        return "str", (str,)
    return None


def check_value(name: str, value, expected: tuple[str, tuple[type, ...]] | None) -> None:
    """Raise ParamError unless `value` has an accepted type; numbers must be finite (NaN and infinity are
    never a sensible setting: "no limit" is None)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ParamError(name, f"expected a finite number, got {value!r}")
    if isinstance(value, (list, tuple)):
        for v in value:
            check_value(name, v, None)
    elif isinstance(value, dict):
        for v in value.values():
            check_value(name, v, None)
    if expected is None:
        return
    what, types = expected
    if isinstance(value, bool) and bool not in types:
        raise ParamError(name, f"expected {what}, got {value!r} (a bool)")
    if not isinstance(value, types):
        raise ParamError(name, f"expected {what}, got {value!r} ({type(value).__name__})")


def check_params(obj, params: dict, where: str, skip: int = 0) -> None:
    """Raise TypeError if `params` does not fit `obj`'s signature (names, and types where annotated or given
    by a default); the message names `where` and the accepted parameters. `skip` leading positional
    parameters are supplied by the framework."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return
    ps = list(sig.parameters.values())[skip:]
    named = {p.name: p for p in ps if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    for k, v in params.items():
        check_value(k, v, _expected(named[k]) if k in named else None)
    if any(p.kind is p.VAR_KEYWORD for p in ps):
        return
    unknown = [k for k in params if k not in named]
    if unknown:
        close = difflib.get_close_matches(unknown[0], named, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UnknownParam(unknown[0], f"{where}: unknown parameter {unknown[0]!r}{hint}; accepted: "
                                       f"{', '.join(named) or 'none'}")
    missing = [n for n, p in named.items() if p.default is p.empty and n not in params]
    if missing:
        raise TypeError(f"{where}: missing required parameter {missing[0]!r}")
