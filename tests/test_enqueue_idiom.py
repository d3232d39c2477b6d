"""Product code enqueues Celery work only through ``helpdesk.celery.send_on_commit``.

Every other idiom (``delay``, ``delay_on_commit``, ``apply_async``, ``send_task``) raises while the
broker is down: inside an on-commit hook it turns a saved request into a 500 and skips the
hooks after it (the customer's mail among them).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("assistants", "datasets", "helpdesk", "integrations", "knowledge", "tickets")
# Called or passed on (``on_commit(partial(app.send_task, …))``); ``fault.delay`` of the test fakes is no task.
IDIOMS = re.compile(r"(?<!fault)\.(delay|delay_on_commit|apply_async|send_task)\b")
# The helper itself and the publisher of kept tasks; check_worker waits for a probe's answer on purpose.
ALLOWED = {
    "helpdesk/celery.py",
    "helpdesk/tenants/services.py",
    "helpdesk/tenants/management/commands/check_worker.py",
}


def _offenders(root: Path) -> list[str]:
    found = []
    for app in PRODUCT:
        for path in sorted((root / app).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if "/tests/" in relative or "/migrations/" in relative or relative in ALLOWED:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if IDIOMS.search(line):
                    found.append(f"{relative}:{number}: {line.strip()}")
    return found


def test_product_code_enqueues_only_through_send_on_commit():
    assert _offenders(ROOT) == []


def test_the_check_finds_each_other_idiom(tmp_path):
    app = tmp_path / "tickets"
    app.mkdir()
    lines = [
        "task.delay(1)",
        "task.delay_on_commit(1)",
        "task.apply_async(args=[1])",
        "app.send_task('x')",
        "transaction.on_commit(partial(app.send_task, name, args=[1]))",
        "transaction.on_commit(task.delay)",
    ]
    (app / "services.py").write_text("\n".join([*lines, "send_on_commit(task, 1)"]) + "\n")
    assert [line.split(": ", 1)[1] for line in _offenders(tmp_path)] == lines


def _task_decorators(root: Path) -> list[tuple[str, ast.Call | ast.expr]]:
    found = []
    for app in PRODUCT:
        for path in sorted((root / app).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if "/tests/" in relative or "/migrations/" in relative:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    for decorator in node.decorator_list:
                        target = decorator.func if isinstance(decorator, ast.Call) else decorator
                        if ast.unparse(target) in {"shared_task", "app.task", "celery_app.task"}:
                            found.append((f"{relative}:{node.lineno} {node.name}", decorator))
    return found


def test_every_task_has_an_explicit_name():
    """A task's name is stored in queued messages, kept rows and beat entries: moving its module must not rename it."""
    decorators = _task_decorators(ROOT)
    assert len(decorators) >= 15
    unnamed = [
        where
        for where, decorator in decorators
        if not (isinstance(decorator, ast.Call) and any(k.arg == "name" for k in decorator.keywords))
    ]
    assert unnamed == []


def test_tasks_sent_by_name_are_registered():
    from helpdesk.celery import app

    app.loader.import_default_modules()
    sent = set()
    for app_dir in PRODUCT:
        for path in (ROOT / app_dir).rglob("*.py"):
            sent.update(re.findall(r"send_on_commit\(\s*\"([\w.]+)\"", path.read_text(encoding="utf-8")))
    assert sent, "no task is sent by name"
    assert sorted(sent - set(app.tasks)) == []
