"""The exercise object and its check pipeline (first failure wins).

1. callable, and its parameters fit the call;
2. not attempted (from the source);
3. each case in turn, on copies of its inputs, under a time limit:
   error (the learner's own lines and the input shapes), None returned, wrong container,
   wrong shape (named dimensions), NaN/inf, wrong values; a failure is compared with the
   known-wrong variants of the reference (single faults and pairs) to name the mistake;
   then inputs unchanged;
4. gradients against finite differences (backward exercises);
5. pass, saying what was verified.
"""

from __future__ import annotations

import copy
import inspect
import itertools
import os
import sys
import zlib
from dataclasses import dataclass, field

import numpy as np

from . import render, runner
from .compare import Issue, _is_tensor, compare, dims_of, type_name
from .stubs import stub_reason

STATUSES = (
    "pass",
    "not_attempted",
    "error",
    "timeout",
    "wrong_type",
    "wrong_shape",
    "mistake",
    "wrong_values",
    "mutated_input",
)


def context() -> str:
    """'book' while the book is built (``RNNCOURSE_CONTEXT=book``), else 'lab'."""
    return "book" if os.environ.get("RNNCOURSE_CONTEXT", "").strip().lower() == "book" else "lab"


def strict() -> bool:
    """``RNNCOURSE_STRICT=1``: ``check`` raises AssertionError on anything but a pass."""
    return os.environ.get("RNNCOURSE_STRICT", "").strip().lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class Fault:
    """A known mistake: ``impl(frozenset({name}), *args)`` reproduces it."""

    name: str
    message: str  # what the learner's code does (shown when diagnosed); never the formula
    hint: str  # how to think about the fix
    group: str | None = None  # faults of one group exclude each other
    status: str = "mistake"  # "mutated_input" for in-place faults
    # an in-place fault whose message already says which input changed and why the caller needs it:
    # shown alone (the changed entries as a detail), not followed by the generic changed-input text
    standalone: bool = False


@dataclass
class Case:
    """One set of inputs. ``diagnostic`` cases only help to name mistakes (e.g. D == H)."""

    label: str
    args: tuple
    dims: dict
    extra: dict = field(default_factory=dict)
    factory: object = None  # callable returning fresh args (for torch tensors with a graph)
    # NaN/inf here is this fault; several names: the first whose variant gives the learner's output
    # on this case, else the first
    nonfinite_mistake: str | tuple | None = None
    diagnostic: bool = False

    def make(self) -> tuple:
        return tuple(self.factory()) if self.factory is not None else copy.deepcopy(self.args)


@dataclass
class Result:
    """The verdict of one check.

    ``status`` is one of :data:`STATUSES`; ``mistake`` names the diagnosed mistake (two
    mistakes are joined by ``+``, as in ``"missing_bias+no_activation"``) or is None;
    ``message`` is the verdict in one paragraph, ``details`` the supporting lines (the
    learner's traceback lines, the input shapes), ``hint`` the hint for a named mistake.
    Displayed in Jupyter as HTML, elsewhere as text; ``to_dict()`` is what goes into the
    display metadata (key ``"rnncourse"``).
    """

    exercise: str
    title: str
    status: str
    message: str = ""
    mistake: str | None = None
    details: list = field(default_factory=list)
    hint: str | None = None
    verified: list = field(default_factory=list)
    next_steps: str = ""
    headline: str = ""

    def __post_init__(self):
        if not self.headline:
            self.headline = render.HEADLINES[self.status]

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def to_dict(self) -> dict:
        return {"exercise": self.exercise, "status": self.status, "mistake": self.mistake, "message": self.message}

    def __repr__(self) -> str:
        return render.verdict_text(self)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return render.verdict_html(self)


def _is_array(value) -> bool:
    return isinstance(value, np.ndarray) or _is_tensor(value)


def _describe_sequence(value, dims) -> str:
    """'a pair of arrays (3, 4) = (B, H)', 'a tuple of 3 tensors (2, 5), (5,), (5,)': a tuple or
    list of arrays (or of tensors) with their shapes."""
    noun = "tensor" if all(map(_is_tensor, value)) else "array"
    shapes = [dims_of(tuple(x.shape), dims) for x in value]
    kind = "tuple" if isinstance(value, tuple) else "list"
    if kind == "tuple" and len(value) == 2:
        head, each = f"a pair of {noun}s", ""
    elif len(value) == 1:
        head, each = f"a {kind} of 1 {noun}", ""
    else:
        head, each = f"a {kind} of {len(value)} {noun}s", ", each"
    if len(set(shapes)) == 1:
        return f"{head}{each} {shapes[0]}"
    return f"{head} " + (" and ".join(shapes) if len(shapes) == 2 else ", ".join(shapes))


def _describe_inputs(names, args, dims) -> str:
    parts = []
    for name, value in zip(names, args):
        if isinstance(value, np.ndarray):
            parts.append(f"{name} {dims_of(value.shape, dims)}")
        elif hasattr(value, "shape") and not isinstance(value, (int, float)):
            parts.append(f"{name} {dims_of(tuple(value.shape), dims)}")
        elif isinstance(value, dict):
            inner = ", ".join(f"{k} {dims_of(np.shape(v), dims)}" for k, v in value.items())
            parts.append(f"{name} {{{inner}}}")
        elif isinstance(value, (tuple, list)) and value and all(map(_is_array, value)):
            parts.append(f"{name} {_describe_sequence(value, dims)}")
        elif isinstance(value, tuple):
            parts.append(f"{name} a tuple of {len(value)}")
        else:
            parts.append(f"{name}={value!r}")
    return ", ".join(parts)


class Exercise:
    """One exercise: the reference, the cases, the catalogue of mistakes, the hints."""

    def __init__(
        self,
        id,
        title,
        lesson,
        reference,
        impl,
        faults,
        make_cases,
        hints,
        output_names=None,
        incompatible=(),
        gradcheck=None,
        timeout=runner.DEFAULT_TIMEOUT,
        needs_torch=False,
        strict_containers=False,
        minus_inf_is_a_value=False,
    ):
        self.id = id
        self.title = title
        self.lesson = lesson
        self.reference = reference
        self.impl = impl
        self.faults = tuple(faults)
        self._fault = {f.name: f for f in self.faults}
        self._make_cases = make_cases
        self.hints = tuple(hints)
        self.output_names = output_names
        self.gradcheck = gradcheck
        self.timeout = timeout
        self.needs_torch = needs_torch
        self.strict_containers = strict_containers
        # -inf is one of the output's own values (an additive mask), not the log of 0: a NaN/inf
        # verdict then gives no remark on log(0)
        self.minus_inf_is_a_value = minus_inf_is_a_value
        self.params = tuple(inspect.signature(reference).parameters)
        self._hint_index = 0
        self._cases = None
        self._variant_cache: dict = {}
        bad = {frozenset(p) for p in incompatible}
        singles = [(f.name,) for f in self.faults]
        pairs = [
            (a.name, b.name)
            for a, b in itertools.combinations(self.faults, 2)
            if (a.group is None or a.group != b.group)
            and frozenset((a.name, b.name)) not in bad
            # an in-place fault shows in the inputs, not the outputs: it is named once the values are right
            and a.status == b.status == "mistake"
        ]
        self.variants = tuple(singles + pairs)

    # ----------------------------------------------------------------- cases and variants
    @property
    def cases(self) -> list:
        if self._cases is None:
            rng = np.random.default_rng(zlib.crc32(self.id.encode()))
            self._cases = list(self._make_cases(rng))
        return self._cases

    def variant_name(self, variant) -> str:
        return "+".join(variant)

    def variant_function(self, variant):
        """The reference with these faults, as a function with the learner's signature."""
        faults = frozenset(variant)
        impl = self.impl

        def wrong(*args):
            return impl(faults, *args)

        wrong.__name__ = f"{self.id}__{'__'.join(variant)}"
        return wrong

    def _variant(self, variant, i):
        """(kind, value, args after the call) of a variant on case i, cached."""
        key = (variant, i)
        if key not in self._variant_cache:
            args = self.cases[i].make()
            try:
                with np.errstate(all="ignore"):
                    value = self.impl(frozenset(variant), *args)
                out = ("ok", value, args)
            except Exception:  # noqa: BLE001 - a variant may fail where the learner's would
                out = ("error", None, args)
            self._variant_cache[key] = out
        return self._variant_cache[key]

    def _expected(self, i):
        args = self.cases[i].make()
        with np.errstate(all="ignore"):
            return self.reference(*args)

    # ----------------------------------------------------------------- learner API
    def evaluate(self, fn, *, timeout: float | None = None) -> Result:
        """Check ``fn`` and return the :class:`Result`; shows nothing and never raises."""
        np_state = np.random.get_state()
        torch = sys.modules.get("torch")
        torch_state = torch.random.get_rng_state() if torch is not None else None
        try:
            return self._evaluate(fn, self.timeout if timeout is None else float(timeout))
        except Exception as exc:  # noqa: BLE001 - a checker bug must not reach the learner as a crash
            missing = runner.missing_package(exc)
            if missing is not None:  # not a bug, and not the learner's fault: say what to install
                return self._missing_package(missing)
            return self._result(
                "error",
                "The checker itself failed on your answer (this is a bug in rnncourse; please report it): "
                f"{type(exc).__name__}: {runner.clean_text(exc)}",
            )
        finally:
            np.random.set_state(np_state)
            torch = sys.modules.get("torch")
            if torch is not None:
                if torch_state is not None:
                    torch.random.set_rng_state(torch_state)

    def check(self, fn, *, timeout: float | None = None) -> None:
        """Check ``fn`` and show the verdict. Never raises (unless ``RNNCOURSE_STRICT=1``)."""
        result = self.evaluate(fn, timeout=timeout)
        try:
            from . import progress

            progress.record(self.id, result.status)
        except Exception:  # noqa: BLE001 - progress is a convenience, never an obstacle
            pass
        render.show(result, metadata={"rnncourse": result.to_dict()})
        if strict() and not result.passed:
            raise AssertionError(f"rnncourse exercise {self.id}: {result.status}\n{result!r}")

    def hint(self) -> None:
        """Show the next hint (one more on each call)."""
        n = len(self.hints)
        i = min(self._hint_index, n - 1)
        self._hint_index += 1
        paragraphs = [self.hints[i]]
        if i == n - 1:
            paragraphs.append(f"That was the last hint. `ex.{self.id}.solution()` shows a reference solution.")
        render.show(render.TextView(f"Hint {i + 1} of {n} for {self.id}", paragraphs, status="not_attempted"))

    def solution(self) -> None:
        """Show the source of the reference solution."""
        source = inspect.getsource(self.reference)
        render.show(render.TextView(f"A reference solution for {self.id}", [], code=source, status="pass"))

    def use(self, fn):
        """Your function if it passes, else the reference (with a one-line notice)."""
        result = self.evaluate(fn)
        if result.passed:
            return fn
        print(f"Using the reference {self.id} (yours: {result.status.replace('_', ' ')}).")
        return self.reference

    def __repr__(self) -> str:
        return f"<Exercise {self.id} (lesson {self.lesson}): {self.title}; .check(fn) .hint() .solution() .use(fn)>"

    # ----------------------------------------------------------------- the pipeline
    def _missing_package(self, missing) -> Result:
        """The verdict when the checker's own code (the cases, the reference) needs a package
        that this Python lacks: it names the package and how to install it, and blames no one."""
        what = "fails to import" if missing.broken else "is missing"
        magic = missing.install.replace("python -m pip", "%pip", 1)
        return Result(
            self.id,
            self.title,
            "error",
            missing.advice("This exercise") + ".",
            headline=f"Cannot check here: {missing.label} {what}",
            next_steps=f"In a notebook, `{magic}` installs it into this kernel's Python; "
            "then restart the kernel and run this cell again.",
        )

    def _result(self, status, message, **kw) -> Result:
        result = Result(self.id, self.title, status, message, **kw)
        if status != "pass" and not result.next_steps and status != "not_attempted":
            result.next_steps = f"Fix it and run the cell again. Stuck? `ex.{self.id}.hint()`"
        return result

    def _not_attempted(self, reason) -> Result:
        if context() == "book":
            return Result(
                self.id,
                self.title,
                "not_attempted",
                "Open this lesson in JupyterLab to check your answer.",
                headline=render.BOOK_HEADLINE,
            )
        what = "replace the ____ placeholders" if reason == "placeholder" else "write your code in the function"
        return Result(
            self.id,
            self.title,
            "not_attempted",
            f"Not attempted yet: {what}, then run the cell again to check it.",
            next_steps=f"Stuck? `ex.{self.id}.hint()` gives a hint (call it again for the next one).",
        )

    def _signature_problem(self, fn) -> Result | None:
        if inspect.isclass(fn):
            return self._result(
                "wrong_type",
                f"You passed a class ({fn.__name__}); pass your function: `ex.{self.id}.check(my_function)`.",
            )
        if not callable(fn):
            extra = " (did you call it? pass it without parentheses)" if fn is None or not callable(fn) else ""
            return self._result(
                "wrong_type",
                f"You passed {type_name(fn)}, not a function{extra}: `ex.{self.id}.check({self.id})`.",
            )
        if inspect.isgeneratorfunction(fn) or inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
            return self._result(
                "wrong_type", "Your function uses `yield` or `async`; it should compute and `return` its result."
            )
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            return None
        counts = sorted({len(c.args) if c.factory is None else len(c.make()) for c in self.cases})
        for n in counts:
            try:
                sig.bind(*range(n))
            except TypeError:
                expected = ", ".join(self.params)
                return self._result(
                    "error",
                    f"Your function's parameters `{sig}` don't fit: the exercise calls it with {n} "
                    f"arguments `({expected})`.",
                )
        return None

    def _evaluate(self, fn, timeout) -> Result:
        result = self._evaluate_inner(fn, timeout)
        printed = getattr(self, "_first_printout", "")
        if printed and not result.passed:
            lines = printed.rstrip("\n").split("\n")
            shown = "\n".join(lines[:8]) + ("\n..." if len(lines) > 8 else "")
            result.details.append(f"Your function printed (first call): {shown}")
        return result

    def _evaluate_inner(self, fn, timeout) -> Result:
        self._first_printout = ""
        problem = self._signature_problem(fn)
        if problem is not None:
            return problem
        reason = stub_reason(fn)
        if reason is not None:
            return self._not_attempted(reason)
        learner_cache: dict = {}
        normal = [i for i, c in enumerate(self.cases) if not c.diagnostic]
        for i in normal:
            case = self.cases[i]
            args = case.make()
            outcome = runner.call(fn, args, timeout)
            learner_cache[i] = (outcome, args)
            if i == normal[0]:
                self._first_printout = outcome.printed
            verdict = self._judge(fn, i, outcome, args, learner_cache, timeout)
            if verdict is not None:
                return verdict
        verified = [
            "the type and shape of every output",
            "the values, on " + "; ".join(self.cases[i].label for i in normal),
            "that your function leaves its inputs unchanged",
        ]
        if self.gradcheck is not None:
            err = self.gradcheck(self.cases[normal[0]], learner_cache[normal[0]][0].value)
            if not err <= 1e-5:
                return self._result(
                    "wrong_values",
                    f"Your gradients disagree with finite differences (relative error {err:.2g}).",
                )
            verified.append("the gradients against finite differences")
        return Result(self.id, self.title, "pass", "Well done: your function is correct.", verified=verified)

    def _judge(self, fn, i, outcome, args, learner_cache, timeout) -> Result | None:
        case = self.cases[i]
        where = f"on the case \"{case.label}\"" if i else "on the first case"
        inputs = "Inputs: " + _describe_inputs(self.params, case.args if case.factory is None else args, case.dims)
        if outcome.kind == "timeout":
            note = (
                ""
                if outcome.stopped
                else " It could not be stopped and keeps running in the background; restart the kernel if it slows down."
            )
            return self._result(
                "timeout",
                f"Your function did not finish within {timeout:g} s {where}: is there a loop that never ends?{note}",
                details=[inputs],
            )
        if outcome.kind == "error":
            if outcome.error_type == "NotImplementedError" and i == 0:
                return self._not_attempted("stub")
            details = [f"`{outcome.error_line}`"]
            missing = runner.missing_package(outcome.exception)
            if missing is not None:
                details.append(missing.advice("Your code") + ".")
            details += [f"in {f.function}, line {f.lineno}: `{f.line}`" for f in outcome.frames]
            details.append(inputs)
            named = self._diagnose(fn, i, learner_cache, timeout)
            if named is not None:
                fault_msg, hint, name = named
                return self._result(
                    "mistake",
                    f"Your function raises {outcome.error_type} {where}; on inputs where it runs it matches "
                    f"a known mistake. {fault_msg}",
                    mistake=name,
                    details=details,
                    hint=hint,
                )
            return self._result("error", f"Your function raised an error {where}.", details=details)
        value = outcome.value
        expected = self._expected(i)
        if value is None:
            return self._result(
                "wrong_type", f"Your function returned None {where}: did you forget `return`?", details=[inputs]
            )
        if value is Ellipsis and i == 0:
            return self._not_attempted("stub")
        if inspect.isgenerator(value):
            return self._result("wrong_type", "Your function returned a generator; return the result itself.")
        issue = self._compare_outputs(expected, value, case.dims)
        if issue is not None:
            if issue.kind == "nonfinite" and case.nonfinite_mistake:
                fault = self._nonfinite_fault(i, value)
                return self._result(
                    "mistake",
                    fault.message,
                    mistake=fault.name,
                    hint=fault.hint,
                    details=[f"{where[0].upper()}{where[1:]}: {issue.message}", inputs],
                )
            named = self._diagnose(fn, i, learner_cache, timeout)
            if named is not None:
                fault_msg, hint, name = named
                return self._result(
                    "mistake",
                    fault_msg,
                    mistake=name,
                    hint=hint,
                    details=[f"{where[0].upper()}{where[1:]}: {issue.message}", inputs],
                )
            status = "wrong_values" if issue.kind == "nonfinite" else issue.kind
            return self._result(status, f"{where[0].upper()}{where[1:]}: {issue.message}", details=[inputs])
        fresh = case.make()
        for name, before, after in zip(self.params, fresh, args):
            change = compare(before, after, name, case.dims, exact=True)
            if change is not None:
                msg = (
                    f"Your function changed its input `{name}` in place {where}. The caller still needs it: "
                    "work on new arrays instead (for example `a = a * s`, not `a *= s`)."
                )
                change_text = change.message.replace("is wrong", "changed").replace(", expected ", ", was ")
                for fault in self.faults:
                    if fault.status == "mutated_input":
                        kind, _, v_args = self._variant((fault.name,), i)
                        if kind == "ok" and compare(v_args[self.params.index(name)], after, name, exact=False) is None:
                            if fault.standalone:
                                return self._result(
                                    "mutated_input",
                                    fault.message,
                                    mistake=fault.name,
                                    hint=fault.hint,
                                    details=[f"{where[0].upper()}{where[1:]}: {change_text}"],
                                )
                            return self._result(
                                "mutated_input", f"{fault.message} {msg}", mistake=fault.name, hint=fault.hint
                            )
                return self._result("mutated_input", msg, details=[change_text])
        return None

    def _compare_outputs(self, expected, value, dims):
        names = self.output_names
        remark = not self.minus_inf_is_a_value  # the remark on log(0) after a -inf
        if isinstance(expected, tuple) and names and len(names) == len(expected):
            listing = "(" + ", ".join(names) + ")"
            if not isinstance(value, (tuple, list)):
                return Issue("wrong_type", f"Your function returned {type_name(value)}; expected a tuple {listing}.")
            if len(value) != len(expected):
                return Issue(
                    "wrong_type", f"Your function returned {len(value)} values; expected {len(expected)}: {listing}."
                )
            for name, e, g in zip(names, expected, value):
                issue = compare(e, g, f"`{name}`", dims, strict=self.strict_containers, log_zero_remark=remark)
                if issue is not None:
                    return issue
            return None
        label = f"`{names[0]}`" if names and len(names) == 1 else "the result"
        return compare(expected, value, label, dims, strict=self.strict_containers, log_zero_remark=remark)

    def _nonfinite_fault(self, i, value) -> Fault:
        """The fault a NaN or inf on case i stands for (its ``nonfinite_mistake``)."""
        names = self.cases[i].nonfinite_mistake
        if isinstance(names, str):
            return self._fault[names]
        for name in names:
            kind, expected, _ = self._variant((name,), i)
            if kind == "ok" and compare(expected, value, strict=self.strict_containers) is None:
                return self._fault[name]
        return self._fault[names[0]]

    def _diagnose(self, fn, failing, learner_cache, timeout):
        """Name the mistake: the variants that agree with the learner on every case."""

        def learner(j):
            if j not in learner_cache:
                if any(out.kind == "timeout" for out, _ in learner_cache.values()):
                    return runner.Outcome("timeout")  # don't wait for a slow function again and again
                args = self.cases[j].make()
                learner_cache[j] = (runner.call(fn, args, timeout), args)
            return learner_cache[j][0]

        def agrees(variant, j):
            out = learner(j)
            kind, value, _ = self._variant(variant, j)
            if out.kind == "timeout":
                return None
            if out.kind == "error" or kind == "error":
                return out.kind == kind
            return compare(value, out.value, strict=self.strict_containers) is None

        first = learner(failing)
        candidates = []
        for variant in self.variants:
            a = agrees(variant, failing)
            if a is False:
                continue
            candidates.append(variant)
        if not candidates:
            return None
        survivors = []
        for variant in candidates:
            ok = True
            matched_value = first.kind == "ok"
            for j in range(len(self.cases)):
                if j == failing:
                    continue
                a = agrees(variant, j)
                if a is False:
                    ok = False
                    break
                if a and learner(j).kind == "ok":
                    matched_value = True
            if ok and matched_value:
                survivors.append(variant)
            if ok and matched_value and len(variant) == 1:
                break  # singles come first: the simplest explanation wins
        chosen = survivors[0] if survivors else (candidates[0] if first.kind == "ok" else None)
        if chosen is None:
            return None
        faults = [self._fault[n] for n in chosen]
        if len(faults) == 1:
            message = faults[0].message
        else:
            message = "Two mistakes. " + " And: ".join(f.message for f in faults)
        hint = " ".join(f.hint for f in faults)
        if not survivors:
            message += " (This explains the first failing case, but something else differs on other cases.)"
        return message, hint, self.variant_name(chosen)
