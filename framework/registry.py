"""Plugin registry on Python entry points. Names are listed from metadata; a plugin is imported when used.

Built-in plugins are declared in this project's pyproject.toml exactly as a third-party package declares
its own, so the core never imports one by name.
"""
from __future__ import annotations

import difflib
import importlib.metadata as md
import inspect
import os
from dataclasses import dataclass

GROUPS = ("optimizers", "schedulers", "regularizers", "augmentations", "datasets", "loggers", "callbacks")
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


def available(group: str) -> dict[str, PluginInfo]:
    """Plugins of a group by name, from installed distributions' metadata (nothing is imported).

    Raises PluginError when two distributions declare the same name.
    """
    group = _check_group(group)
    found: dict[str, PluginInfo] = {}
    off = _disabled()
    for dist in md.distributions():
        dname = dist.metadata["Name"] or "?"
        for ep in dist.entry_points:
            if ep.group != PREFIX + group or ep.name in off:
                continue
            info = PluginInfo(group, ep.name, ep.value, dname, dist.version or "")
            prev = found.get(ep.name)
            if prev is not None and _norm(prev.dist) != _norm(dname):
                raise PluginError(f"{group} plugin {ep.name!r} is declared by two distributions: "
                                  f"{prev.dist!r} ({prev.target}) and {dname!r} ({ep.value}); "
                                  f"uninstall one or disable it with FRAMEWORK_DISABLE_PLUGINS")
            found.setdefault(ep.name, info)
    return dict(sorted(found.items()))


def _norm(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def info(group: str, name: str) -> PluginInfo:
    """The PluginInfo for a name; an unknown name lists what the group offers and the closest match."""
    plugins = available(group)
    if name not in plugins:
        group = _check_group(group)
        close = difflib.get_close_matches(str(name), plugins, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise PluginError(f"unknown {group} plugin {name!r}{hint} available: {', '.join(plugins) or 'none'}")
    return plugins[name]


def get(group: str, name: str):
    """Import and return the plugin object (a class or factory function)."""
    return info(group, name).load()


def check_params(obj, params: dict, where: str, skip: int = 0) -> None:
    """Raise TypeError if `params` does not fit `obj`'s signature; the message names `where` and the
    accepted parameters. `skip` leading positional parameters are supplied by the framework."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return
    ps = list(sig.parameters.values())[skip:]
    if any(p.kind is p.VAR_KEYWORD for p in ps):
        return
    names = [p.name for p in ps if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    unknown = [k for k in params if k not in names]
    if unknown:
        close = difflib.get_close_matches(unknown[0], names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise TypeError(f"{where}: unknown parameter {unknown[0]!r}{hint}; accepted: {', '.join(names) or 'none'}")
    missing = [p.name for p in ps if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
               and p.name not in params]
    if missing:
        raise TypeError(f"{where}: missing required parameter {missing[0]!r}")
