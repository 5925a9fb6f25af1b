from __future__ import annotations

import ast

from chronolint.rules.api import AllOf, Invalid, Rule, Valid
from chronolint.rules.migrations._common import is_history

# Operation → (its reverse parameter, that parameter's position).
_REVERSIBLE = {
    "RunPython": ("reverse_code", 1),
    "RunSQL": ("reverse_sql", 1),
}
_MODULES = ("django.db.migrations", "django.db.migrations.operations", "django.db.migrations.operations.special")


class IrreversibleDjangoOperation(Rule):
    """
    ## What it does
    Checks for Django migration operations `RunPython` without `reverse_code` and
    `RunSQL` without `reverse_sql`.

    ## Why is this bad?
    `migrate app <previous>` stops with `IrreversibleError` at this migration, so a bad
    release cannot be rolled back past it. When there is nothing to undo, say so with
    `reverse_code=migrations.RunPython.noop` or `reverse_sql=migrations.RunSQL.noop`.

    ## Example
    ```python
    from django.db import migrations

    class Migration(migrations.Migration):
        operations = [migrations.RunPython(backfill_tenants)]
    ```

    ## Use instead
    ```python
    from django.db import migrations

    class Migration(migrations.Migration):
        operations = [migrations.RunPython(backfill_tenants, migrations.RunPython.noop)]
    ```

    ## Fix safety
    No fix: only the author knows whether the operation can be undone.
    """

    code = "CHR406"
    short = "Django `RunPython`/`RunSQL` without a reverse"
    name = "irreversible-django-operation"
    message = "`{operation}` without `{reverse}` cannot be reversed"
    # The operation, and the import from `django` it must resolve through.
    needles = AllOf((("RunPython", "RunSQL"), ("django",)))

    VALID = [
        Valid("from django.db import migrations\nops = [migrations.RunPython(f, migrations.RunPython.noop)]\n"),
        Valid("from django.db import migrations\nops = [migrations.RunSQL('UPDATE t SET a = 1', reverse_sql=migrations.RunSQL.noop)]\n"),
        Valid("from django.db import migrations\nops = [migrations.RunPython(**kwargs)]\n"),
        Valid("class RunPython:\n    pass\nops = [RunPython(f)]\n"),
    ]
    INVALID = [
        Invalid("from django.db import migrations\n\nclass Migration(migrations.Migration):\n"
                "    operations = [migrations.RunPython(forwards)]\n"),
        Invalid("from django.db.migrations import RunSQL\nops = [RunSQL('UPDATE t SET a = 1', reverse_sql=None)]\n"),
    ]

    def visit_Call(self, node: ast.Call, ctx) -> None:
        qualified = ctx.resolve(node.func)
        if qualified is None:
            return
        module, _, operation = qualified.rpartition(".")
        if module not in _MODULES or operation not in _REVERSIBLE or is_history(ctx):
            return
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            return
        parameter, position = _REVERSIBLE[operation]
        reverse = next((k.value for k in node.keywords if k.arg == parameter), None)
        if reverse is None and len(node.args) > position:
            reverse = node.args[position]
        if reverse is None or (isinstance(reverse, ast.Constant) and reverse.value is None):
            ctx.report(self, node, operation=operation, reverse=parameter)
