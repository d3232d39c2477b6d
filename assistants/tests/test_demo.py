from io import StringIO

from django.core.management import call_command
from django_tenants.utils import tenant_context

from assistants.models import Assistant


def test_demo_gives_each_tenant_one_default_assistant_once(acme, globex, romashka_tenant):
    call_command("demo", stdout=StringIO())
    call_command("demo", stdout=StringIO())
    for tenant, name in ((acme, "Acme Support"), (globex, "Globex Support")):
        with tenant_context(tenant):
            assert list(Assistant.objects.values_list("name", "is_default")) == [(name, True)]
