"""The settings package: one module per concern, and the app lists and Celery's schedule assembled once.

``helpdesk/settings/__init__.py`` is the only place that defines SHARED_APPS, TENANT_APPS, INSTALLED_APPS,
CELERY_BEAT_SCHEDULE, CELERY_TASK_ROUTES and CELERY_TASK_ANNOTATIONS; no module changes a setting after
defining it (no ``append``, ``insert``, ``+=``, item assignment or ``globals()``).
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

from django.conf import settings

from helpdesk.celery import app as celery_app

PACKAGE = Path(__file__).resolve().parent.parent / "helpdesk" / "settings"
ASSEMBLED = {
    "SHARED_APPS",
    "TENANT_APPS",
    "INSTALLED_APPS",
    "CELERY_BEAT_SCHEDULE",
    "CELERY_TASK_ROUTES",
    "CELERY_TASK_ANNOTATIONS",
}
# DatabaseScheduler keeps each beat entry as a PeriodicTask row under its key: the keys must not change.
BEAT_KEYS = {
    "tickets-sla-breaches",
    "knowledge-sweep-stuck-documents",
    "knowledge-sweep-stuck-switches",
    "integrations-sweep",
    "integrations-pull",
    "jobs-send-unsent-tasks",
    "jobs-sweep-dataset-runs",
    "jobs-sweep-lora-jobs",
    "jobs-sweep-screenshots",
    "mail-poll",
}
MUTATORS = {"append", "extend", "insert", "update", "setdefault", "pop", "remove", "clear"}


def _modules() -> dict[str, ast.Module]:
    return {path.name: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(PACKAGE.glob("*.py"))}


def _assigned_names(tree: ast.Module) -> list[str]:
    """Upper-case names bound at module level (a chained ``A = B = ...`` binds both)."""
    names = []
    for node in tree.body:
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        for target in targets:
            for leaf in ast.walk(target):
                if isinstance(leaf, ast.Name) and leaf.id.isupper():
                    names.append(leaf.id)
    return names


def _module_level(tree: ast.Module) -> list[ast.AST]:
    """The nodes that run at import, outside function bodies (a function may fill its own local dict)."""
    found: list[ast.AST] = []
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop()
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            found.append(node)
            todo.extend(ast.iter_child_nodes(node))
    return sorted(found, key=lambda node: getattr(node, "lineno", 0))


def _mutations(tree: ast.Module) -> list[str]:
    found = [
        f"{node.lineno}: globals()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "globals"
    ]
    for node in _module_level(tree):
        if isinstance(node, ast.AugAssign):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found += [f"{node.lineno}: {ast.unparse(node)}" for t in targets if isinstance(t, ast.Subscript)]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in MUTATORS
            and isinstance(node.func.value, ast.Name | ast.Subscript)
        ):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return sorted(set(found), key=lambda line: int(line.split(":")[0]))


def test_the_package_has_one_module_per_concern():
    assert {"__init__.py", "env.py", "database.py", "celery.py", "security.py", "jobs.py"} <= set(_modules())
    assert not (PACKAGE.parent / "settings.py").exists()


def test_no_settings_module_changes_a_setting_after_defining_it():
    offenders = {name: found for name, tree in _modules().items() if (found := _mutations(tree))}
    assert offenders == {}


def test_the_check_finds_each_kind_of_change():
    source = "A = []\nA.append(1)\nA += [2]\nB = {}\nB['x'] = 1\nB = {**globals().get('B', {})}\nC = [*A]\n"
    assert [line.split(": ")[0] for line in _mutations(ast.parse(source))] == ["2", "3", "5", "6"]


def test_every_setting_is_defined_once_and_the_assembled_ones_in_init():
    where: dict[str, list[str]] = {}
    for module, tree in _modules().items():
        for name in _assigned_names(tree):
            where.setdefault(name, []).append(module)
    assert {name: modules for name, modules in where.items() if len(modules) > 1} == {}
    assert {name: where[name] for name in ASSEMBLED} == {name: ["__init__.py"] for name in ASSEMBLED}


def test_each_app_is_listed_once():
    for name in ("SHARED_APPS", "TENANT_APPS", "INSTALLED_APPS"):
        apps = getattr(settings, name)
        assert [app for app, count in Counter(apps).items() if count > 1] == [], name
    assert set(settings.INSTALLED_APPS) == set(settings.SHARED_APPS) | set(settings.TENANT_APPS)
    # helpdesk.tenants' create_tenant command must win over django_tenants' own.
    assert settings.INSTALLED_APPS.index("helpdesk.tenants") < settings.INSTALLED_APPS.index("django_tenants")


def test_each_beat_key_is_written_once_and_kept():
    init = _modules()["__init__.py"]
    schedules = [
        node.value
        for node in init.body
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "CELERY_BEAT_SCHEDULE" for t in node.targets)
    ]
    assert len(schedules) == 1 and isinstance(schedules[0], ast.Dict)
    keys = [ast.literal_eval(key) for key in schedules[0].keys if key is not None]
    assert [key for key, count in Counter(keys).items() if count > 1] == []
    assert set(keys) == set(settings.CELERY_BEAT_SCHEDULE) == BEAT_KEYS


def test_every_scheduled_and_routed_task_is_registered():
    celery_app.loader.import_default_modules()
    scheduled = {str(entry["task"]) for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    routed = {str(name) for name in settings.CELERY_TASK_ROUTES}
    assert sorted((scheduled | routed) - set(celery_app.tasks)) == []
    assert settings.CELERY_TASK_ROUTES["assistants.lora.tasks.adapter_train"] == {"queue": settings.LORA_QUEUE}
