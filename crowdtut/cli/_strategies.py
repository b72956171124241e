"""Strategy names in peerannot's bracket syntax (``DSWC[L=5]``, ``CoNAL[scale=1e-4]``).

A *strategy string* is a name, optionally followed by one pair of brackets holding
``key=value`` pairs separated by commas. Names and keys are matched without regard to case,
``-`` or ``_``; values are read as the parameter's declared type. Anything else (an unknown name,
an unknown key, a value of the wrong type, unbalanced brackets) is a :class:`StrategyError` whose
message lists what is valid.

This module imports only the standard library, so that ``crowdtut --help`` stays fast; the
classes behind the names are imported when a command runs (:meth:`Strategy.load`).
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "StrategyError",
    "Param",
    "Strategy",
    "parse_strategy",
    "AGGREGATORS",
    "DEEP_STRATEGIES",
    "IDENTIFICATION_METHODS",
    "describe",
    "add_strategy",
]


class StrategyError(ValueError):
    """A strategy string that names nothing valid or passes bad parameters."""


@dataclass(frozen=True)
class Param:
    """One bracket parameter: ``name`` as typed in brackets, ``kwarg`` for the constructor.

    Its default is not written here: :meth:`Strategy.defaults` reads it from the class (or its
    ``fixed`` arguments), so that the help shows what a run uses. ``low`` and ``high`` bound a
    number (inclusive; ``open_low`` and ``open_high`` make them exclusive).
    """

    name: str
    kwarg: str
    kind: type
    help: str
    choices: tuple = ()
    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False

    def convert(self, raw: str, strategy: str) -> Any:
        text = raw.strip()
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            text = text[1:-1]
        where = f"{strategy} parameter {self.name}"
        if self.kind is bool:
            lowered = text.lower()
            if lowered in ("true", "1", "yes"):
                value: Any = True
            elif lowered in ("false", "0", "no"):
                value = False
            else:
                raise StrategyError(f"{where}={raw!r} must be true or false")
        elif self.kind is int:
            try:
                number = float(text)
            except ValueError:
                raise StrategyError(f"{where}={raw!r} must be an integer") from None
            if not number.is_integer() or abs(number) > 2**53:
                raise StrategyError(f"{where}={raw!r} must be an integer")
            value = int(number)
        elif self.kind is float:
            try:
                value = float(text)
            except ValueError:
                raise StrategyError(f"{where}={raw!r} must be a number") from None
            if not math.isfinite(value):
                raise StrategyError(f"{where}={raw!r} must be a finite number")
        else:
            value = text
        if self.kind in (int, float):
            below = self.low is not None and (
                value <= self.low if self.open_low else value < self.low
            )
            above = self.high is not None and (
                value >= self.high if self.open_high else value > self.high
            )
            if below or above:
                raise StrategyError(f"{where}={raw!r} must be {self.range_text()}")
        if self.choices:
            matched = [c for c in self.choices if str(c).lower() == str(value).lower()]
            if not matched:
                raise StrategyError(
                    f"{where}={raw!r} must be one of {', '.join(map(str, self.choices))}"
                )
            value = matched[0]
        return value

    def range_text(self) -> str:
        """``at least 0``, ``in [0, 1]``, ``> 0``... (empty when unbounded)."""
        low = None if self.low is None else (self.low if self.kind is float else int(self.low))
        if low is not None and self.high is not None:
            return (
                f"in {'(' if self.open_low else '['}{low}, {self.high}{')' if self.open_high else ']'}"
            )
        if low is not None:
            return f"> {low}" if self.open_low else f"at least {low}"
        if self.high is not None:
            return f"< {self.high}" if self.open_high else f"at most {self.high}"
        return ""

    def describe(self, default: Any) -> str:
        kind = "|".join(map(str, self.choices)) if self.choices else self.kind.__name__
        bounds = self.range_text()
        kind += f", {bounds}" if bounds and not self.choices else ""
        return f"{self.name}={default!r} ({kind}): {self.help}"


@dataclass(frozen=True)
class Strategy:
    """A named method: where its class lives, its bracket parameters, its other names."""

    name: str
    target: str  # "module:attribute", imported lazily
    summary: str
    params: tuple[Param, ...] = ()
    aliases: tuple[str, ...] = ()
    fixed: tuple[tuple[str, Any], ...] = ()  # constructor arguments that are always passed
    hard: bool = False  # produces hard labels only (majority vote)

    def load(self):
        module, _, attr = self.target.partition(":")
        return getattr(importlib.import_module(module), attr)

    def build(self, options: dict[str, Any]):
        """An instance of the class with the fixed arguments, then the given options."""
        return self.load()(**{**dict(self.fixed), **options})

    def defaults(self) -> dict[str, Any]:
        """Bracket name -> the value a run uses when the brackets do not set it: the fixed
        argument, else the default of the class's ``__init__``.

        The defaults are read from the class's source (:func:`_source_defaults`, a few
        milliseconds), so that a help page does not import numpy, scipy or torch; when the
        source does not give them as plain literals, the class is imported.
        """
        if not self.params:
            return {}
        init = _source_defaults(self.target)
        wanted = {p.kwarg for p in self.params} - set(dict(self.fixed))
        if init is None or not wanted <= set(init):
            signature = inspect.signature(self.load().__init__).parameters
            init = {
                k: v.default for k, v in signature.items() if v.default is not inspect.Parameter.empty
            }
        fixed = dict(self.fixed)
        out = {}
        for p in self.params:
            if p.kwarg in fixed:
                out[p.name] = fixed[p.kwarg]
            elif p.kwarg in init:
                out[p.name] = init[p.kwarg]
            else:  # pragma: no cover - a registry error, caught by the tests
                raise RuntimeError(f"{self.target} has no default for {p.kwarg}")
        return out

    def describe_params(self) -> str:
        defaults = self.defaults() if self.params else {}
        return ", ".join(p.describe(defaults[p.name]) for p in self.params)

    def signature(self) -> str:
        if not self.params:
            return self.name
        defaults = self.defaults()
        return f"{self.name}[{', '.join(f'{p.name}={defaults[p.name]}' for p in self.params)}]"


@functools.lru_cache(maxsize=None)
def _classes_in(module: str) -> dict[str, ast.ClassDef]:
    """The top-level classes defined in the source files of ``module`` (a package: all its
    files), by name, read with :mod:`ast` without importing anything."""
    root = Path(__file__).resolve().parents[1]  # the crowdtut package
    parts = module.split(".")
    if parts[0] != "crowdtut":
        return {}
    base = root.joinpath(*parts[1:])
    files = sorted(base.rglob("*.py")) if base.is_dir() else [base.with_suffix(".py")]
    classes: dict[str, ast.ClassDef] = {}
    for path in files:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError):
            return {}
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                classes.setdefault(node.name, node)
    return classes


def _init_defaults(classes: dict[str, ast.ClassDef], name: str, depth: int = 0) -> dict | None:
    node = classes.get(name)
    if node is None or depth > 5:
        return None
    for item in node.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            args = item.args
            positional = args.posonlyargs + args.args
            pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults))
            pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
            out = {}
            for arg, default in pairs:
                try:
                    out[arg.arg] = ast.literal_eval(default)
                except ValueError:  # not a literal: the caller imports the class
                    pass
            return out
    if _is_dataclass(node):  # the generated __init__: the bases' fields, then its own
        out = {}
        for base in node.bases:
            if isinstance(base, ast.Name):
                out.update(_init_defaults(classes, base.id, depth + 1) or {})
        out.update(_field_defaults(node))
        return out
    for base in node.bases:  # no __init__ of its own: the first base that has one
        if isinstance(base, ast.Name):
            found = _init_defaults(classes, base.id, depth + 1)
            if found is not None:
                return found
    return None


def _is_dataclass(node: ast.ClassDef) -> bool:
    for item in node.decorator_list:
        func = item.func if isinstance(item, ast.Call) else item
        if (isinstance(func, ast.Name) and func.id == "dataclass") or (
            isinstance(func, ast.Attribute) and func.attr == "dataclass"
        ):
            return True
    return False


def _field_defaults(node: ast.ClassDef) -> dict:
    """The literal defaults of a dataclass's own fields (``name: type = value`` or
    ``name: type = field(default=value, ...)``)."""
    out = {}
    for item in node.body:
        if not (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) and item.value):
            continue
        value = item.value
        if isinstance(value, ast.Call):
            value = next((k.value for k in value.keywords if k.arg == "default"), None)
        try:
            out[item.target.id] = ast.literal_eval(value)
        except ValueError:  # not a literal (or no default): the caller imports the class
            pass
    return out


def _source_defaults(target: str) -> dict | None:
    """The literal defaults of ``__init__`` of the class ``module:attribute``, from its source."""
    module, _, attr = target.partition(":")
    return _init_defaults(_classes_in(module), attr)


def _key(text: str) -> str:
    return re.sub(r"[-_\s]", "", text).lower()


def _split_options(body: str) -> list[str]:
    """Split on commas that are outside quotes."""
    parts, current, quote = [], [], None
    for char in body:
        if quote:
            current.append(char)
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
            current.append(char)
        elif char == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if quote:
        raise StrategyError(f"unclosed quote {quote} in [{body}]")
    parts.append("".join(current))
    return parts


def parse_strategy(
    text: str, registry: dict[str, Strategy], what: str = "strategy"
) -> tuple[Strategy, dict[str, Any], str]:
    """Read ``NAME`` or ``NAME[key=value, ...]``.

    Returns
    -------
    strategy : the registry entry.
    options : constructor keyword arguments from the brackets (only those given).
    slug : the name used in output files: the canonical name in lower case followed by the
        brackets as typed, lower case and without spaces (peerannot's ``dswc[l=5]``).

    Raises
    ------
    StrategyError
        Unknown name or parameter, bad value, or malformed brackets; the message lists the valid
        names or parameters.
    """
    raw = text.strip()
    match = re.fullmatch(r"([^\[\]]*?)\s*(?:\[(.*)\])?", raw, flags=re.S)
    if not raw or match is None:
        if raw.count("[") != raw.count("]"):
            raise StrategyError(f"cannot read {what} {text!r}: unbalanced brackets")
        raise StrategyError(
            f"cannot read {what} {text!r}: expected NAME or NAME[key=value, ...] with one pair "
            "of brackets at the end"
        )
    name, body = match.group(1), match.group(2)
    if body is not None and ("[" in body or "]" in body):
        raise StrategyError(f"cannot read {what} {text!r}: only one pair of brackets is allowed")
    if not name.strip():
        raise StrategyError(f"cannot read {what} {text!r}: the name is missing before '['")
    lookup = {}
    for strategy in registry.values():
        for alias in (strategy.name, *strategy.aliases):
            lookup[_key(alias)] = strategy
    strategy = lookup.get(_key(name))
    if strategy is None:
        raise StrategyError(f"unknown {what} {name.strip()!r}; valid: {_names(registry)}")
    options: dict[str, Any] = {}
    if body is not None and body.strip():
        by_key = {_key(p.name): p for p in strategy.params}
        by_key.update({_key(p.kwarg): p for p in strategy.params})
        for item in _split_options(body):
            if not item.strip():
                raise StrategyError(f"empty parameter in {text!r} (a stray comma?)")
            key, sep, value = item.partition("=")
            if not sep or not key.strip() or not value.strip():
                raise StrategyError(
                    f"cannot read {item.strip()!r} in {text!r}: parameters are key=value"
                )
            param = by_key.get(_key(key))
            if param is None:
                valid = (
                    strategy.describe_params()
                    if strategy.params
                    else "none (it takes no parameters)"
                )
                raise StrategyError(
                    f"unknown parameter {key.strip()!r} for {strategy.name}; valid parameters: "
                    f"{valid}"
                )
            if param.kwarg in options:
                raise StrategyError(f"parameter {param.name} given twice in {text!r}")
            options[param.kwarg] = param.convert(value, strategy.name)
    slug = strategy.name.lower()
    if body is not None and body.strip():
        slug += "[" + "".join(body.split()).lower() + "]"
    return strategy, options, slug


def _names(registry: dict[str, Strategy]) -> str:
    return ", ".join(
        s.name + (f" ({'/'.join(s.aliases)})" if s.aliases else "") for s in registry.values()
    )


def describe(registry: dict[str, Strategy], width: int = 92) -> str:
    """A help paragraph: one entry per strategy with its parameters and defaults (read from the
    classes, which are imported: call it when the help is shown, not when the parser is built)."""
    import textwrap

    lines = []
    for s in registry.values():
        alias = f" (also {', '.join(s.aliases)})" if s.aliases else ""
        lines += textwrap.wrap(f"{s.name}{alias}: {s.summary}", width, initial_indent="  ",
                               subsequent_indent="    ")
        defaults = s.defaults() if s.params else {}
        for p in s.params:
            lines += textwrap.wrap(p.describe(defaults[p.name]), width, initial_indent="      ",
                                   subsequent_indent="        ")
    return "\n".join(lines)


def add_strategy(parser, registry: dict[str, Strategy], what: str, *, default: str) -> None:
    """``--strategy/-s`` (a name of ``registry``, read by :func:`parse_strategy`) and, appended
    to the parser's description when its help is shown, the strategies with their parameters."""
    description = parser.description
    parser.describe_later = lambda: description + describe(registry)
    parser.add_argument(
        "--strategy", "-s", default=default, metavar="STRATEGY",
        help=f"{what}, optionally with bracket parameters (see above)",
    )


def _registry(*strategies: Strategy) -> dict[str, Strategy]:
    return {s.name: s for s in strategies}


_AGG = "crowdtut.aggregation"
_N_ITER = Param("n_iter", "n_iter", int, "maximum number of iterations (peerannot: maxiter)", low=0)
_TOL = Param("tol", "tol", float, "stop when the log-likelihood's relative change is below", low=0)

AGGREGATORS = _registry(
    Strategy(
        "MV", f"{_AGG}:MajorityVote", "majority vote (hard labels)", hard=True,
        params=(
            Param("tie_break", "tie_break", str, "ties to the first class or at random",
                  choices=("first", "random")),
            Param("seed", "random_state", int, "seed of the random tie-break", low=0),
        ),
        aliases=("majority-vote", "majorityvote"),
    ),
    Strategy("NaiveSoft", f"{_AGG}:NaiveSoft", "vote shares per task", aliases=("NS",)),
    Strategy("Wawa", f"{_AGG}:Wawa", "vote weighted by agreement with the majority"),
    Strategy(
        "ZBS", f"{_AGG}:ZeroBasedSkill", "zero-based skill (weighted vote, learned skills)",
        params=(
            Param("n_iter", "n_iter", int, "maximum number of passes", low=0),
            Param("lr", "lr_init", float, "initial learning rate", low=0),
        ),
        aliases=("ZeroBasedSkill",),
    ),
    Strategy(
        "IWMV", f"{_AGG}:IWMV", "iterative weighted majority vote (Li and Yu, 2014)",
        params=(Param("n_iter", "n_iter", int, "maximum number of updates", low=0),),
    ),
    Strategy(
        "DS", f"{_AGG}:DawidSkene", "Dawid and Skene (1979), one confusion matrix per worker",
        params=(
            _N_ITER, _TOL,
            Param("pseudo_count", "pseudo_count", float, "Dirichlet smoothing of the counts",
                  low=0),
        ),
        aliases=("DawidSkene", "Dawid-Skene"),
    ),
    Strategy(
        "OneCoinDS", f"{_AGG}:OneCoinDawidSkene", "one-coin Dawid-Skene (ZenCrowd)",
        params=(
            _N_ITER, _TOL,
            Param("prior", "prior", str, "class prior held uniform or learned",
                  choices=("uniform", "learned")),
            Param("min_skill", "min_skill", float, "lower bound on the skills", low=0, high=1,
                  open_high=True),
        ),
        aliases=("OneCoin", "ZC", "ZenCrowd"),
    ),
    Strategy(
        "DSWC", f"{_AGG}:ClusteredDawidSkene",
        "Dawid-Skene with L clusters of workers sharing a confusion matrix (Imamura et al., 2018)",
        params=(
            Param("L", "n_clusters", int, "number of clusters", low=1),
            _N_ITER, _TOL,
            Param("seed", "random_state", int, "seed of the k-means initialisation", low=0),
        ),
        aliases=("ClusteredDS", "ClusteredDawidSkene"),
    ),
    Strategy(
        "GLAD", f"{_AGG}:GLAD", "worker abilities and task difficulties (Whitehill et al., 2009)",
        params=(
            _N_ITER, _TOL,
            Param("learn_priors", "learn_priors", bool, "re-estimate the class priors"),
        ),
    ),
    Strategy(
        "MACE", f"{_AGG}:MACE", "competence and spamming strategies (Hovy et al., 2013)",
        params=(
            Param("n_iter", "n_iter", int, "iterations per restart", low=0),
            Param("n_restarts", "n_restarts", int, "random restarts", low=1),
            Param("method", "method", str, "variational Bayes or EM", choices=("vb", "em")),
            Param("seed", "random_state", int, "seed of the restarts", low=0),
        ),
        fixed=(("random_state", 0),),
    ),
    # --- models of the "models" branch: crowd-kit's KOS, M-MSR, EBCC, peerannot's WDS, PlantNet,
    # TwoThird (peerannot's strategy names)
    Strategy(
        "KOS", f"{_AGG}:KOS", "Karger, Oh and Shah's message passing (binary labels, hard)",
        hard=True,
        params=(
            Param("n_iter", "n_iter", int, "message updates", low=0),
            Param("init", "init", str, "first worker messages", choices=("random", "ones")),
            Param("seed", "random_state", int, "seed of the random start", low=0),
        ),
    ),
    Strategy(
        "MMSR", f"{_AGG}:MMSR", "matrix mean-subsequence-reduced skills, then a weighted vote "
        "(Ma and Olshevsky, 2020)",
        params=(
            Param("n_iter", "n_iter", int, "maximum sweeps", low=0),
            Param("sign_pairs", "sign_pairs", str, "pairs used for the signs",
                  choices=("observed", "all")),
            Param("seed", "random_state", int, "seed of the starting vector", low=0),
        ),
        aliases=("M-MSR",),
    ),
    Strategy(
        "EBCC", f"{_AGG}:EBCC", "enhanced Bayesian classifier combination, worker confusion per "
        "subtype (Li, Rubinstein and Cohn, 2019)",
        params=(
            Param("M", "n_subtypes", int, "subtypes per class", low=1),
            Param("n_restarts", "n_restarts", int, "random starts, best evidence bound kept", low=1),
            Param("n_iter", "n_iter", int, "maximum variational rounds", low=0),
            Param("seed", "random_state", int, "seed of the subtype split", low=0),
        ),
    ),
    Strategy(
        "WDS", f"{_AGG}:WDS", "votes weighted by the diagonal of Dawid-Skene's confusion matrices",
        params=(_N_ITER, _TOL),
    ),
    Strategy(
        "PlantNet", f"{_AGG}:PlantNet",
        "Pl@ntNet's vote weighted by the number of classes each user identified (hard)", hard=True,
        params=(
            Param("alpha", "alpha", float, "exponent of the weight's growing term", low=0),
            Param("beta", "beta", float, "exponent of the weight's shrinking term", low=0),
        ),
    ),
    Strategy(
        "TwoThird", f"{_AGG}:TwoThird", "majority vote; consensus when two thirds agree (hard)",
        hard=True,
    ),
    Strategy(
        "MDS", f"{_AGG}:ModifiedDawidSkene",
        "SageMaker Ground Truth's modified Dawid-Skene (shrinkage toward the crowd)",
        aliases=("ModifiedDS", "SageMaker"),
        params=(
            Param("n_iter", "n_iter", int, "maximum EM rounds", low=0),
            Param("initial_accuracy", "initial_accuracy", float, "assumed worker accuracy at start",
                  low=0, high=1, open_low=True, open_high=True),
            Param("crowd_weight", "crowd_prior_weight", float, "weight of the crowd's pseudo-counts",
                  low=0),
        ),
    ),
)

_DEEP = "crowdtut.deep"
DEEP_STRATEGIES = _registry(
    Strategy(
        "CrowdLayer", f"{_DEEP}:CrowdLayerClassifier",
        "classifier + one crowd layer per worker (Rodrigues and Pereira, 2018)",
        params=(
            Param("conn_type", "conn_type", str, "connection type",
                  choices=("MW", "VW", "VB", "VW+B")),
            Param("trace_weight", "trace_weight", float, "trace penalty on the matrices", low=0),
        ),
    ),
    Strategy(
        "CoNAL", f"{_DEEP}:CoNALClassifier",
        "common and individual noise adaptation layers (Chu et al., 2021)",
        params=(
            Param("scale", "scale", float, low=0, help=
                  "weight of the regulariser between common and individual matrices"),
        ),
    ),
    Strategy(
        "DeepEM", f"{_DEEP}:CrowdsEM",
        "Dawid-Skene whose class prior is the network (deep EM, Rodrigues et al.)",
        params=(
            Param("n_rounds", "n_rounds", int, "EM rounds (each trains epochs/n_rounds)", low=1),
            Param("pseudo_count", "pseudo_count", float, "smoothing of the confusion counts", low=0),
        ),
        aliases=("CrowdsEM", "DLEM"),
    ),
)

_ID = "crowdtut.identification"
IDENTIFICATION_METHODS = _registry(
    Strategy("entropy", f"{_ID}:vote_entropy", "task: entropy of the vote distribution"),
    Strategy(
        "GLAD", f"{_ID}:glad_difficulty", "task: GLAD difficulty 1/beta (larger is harder)",
        aliases=("difficulty",),
    ),
    Strategy(
        "AUM", f"{_ID}:aum",
        "task: area under the margin of a classifier trained on the features and an aggregate "
        "(Pleiss et al., 2020; --aggregator, default MV)",
    ),
    Strategy(
        "WAUM", f"{_ID}:waum",
        "task: AUM of every answer weighted by DS trust scores (Lefort et al., 2024); flags the "
        "--alpha quantile",
        aliases=("WAUMstacked",),
    ),
    Strategy(
        "spam-score", f"{_ID}:spam_score",
        "worker: distance of the confusion matrix to rank one (Raykar and Yu, 2011; 0 = spammer)",
        aliases=("spamscore", "spam"),
    ),
    Strategy(
        "trace", f"{_ID}:confusion_trace", "worker: trace of the confusion matrix (K = perfect)",
        aliases=("traceconfusion", "trace-confusion"),
    ),
    Strategy(
        "agreement", f"{_ID}:worker_agreement",
        "worker: share of answers equal to the aggregated label (--aggregator, default MV)",
    ),
    Strategy(
        "krippendorff", "crowdtut.metrics:krippendorff_alpha",
        "whole dataset: Krippendorff's alpha (nominal)",
        aliases=("krippendorffalpha", "krippendorff-alpha", "alpha"),
    ),
)
