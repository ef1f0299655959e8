"""Prometheus rules and a Grafana dashboard from the project's SLOs, checked with promtool.

::

    scope = scope_of(project)                       # the models, their SLOs, the experiments
    rules = build_rules(scope)                      # recording + alert rules (a rules-file dict)
    tests = build_rule_tests(rules, "rules.yml")    # promtool unit tests from the same SLOs
    board = build_dashboard(scope)                  # Grafana dashboard JSON (a dict)
    check_rules(path); run_rule_tests(path)             # promtool check rules / test rules

Metric names and their sources: ``tritonops.monitoring.names``; windows: ``timing``.
"""

from tritonops.monitoring.dashboard import build_dashboard
from tritonops.monitoring.files import write_dashboard, write_rules
from tritonops.monitoring.names import SUMMARY_ARGS
from tritonops.monitoring.promtool import check_rules, find_promtool, run_rule_tests
from tritonops.monitoring.rules import RUNBOOK_BASE, Alert, Rules, build_rules
from tritonops.monitoring.ruletests import build_rule_tests
from tritonops.monitoring.selection import Scope, Variant, Watched, scope_of
from tritonops.monitoring.timing import Timing

__all__ = [
    "RUNBOOK_BASE",
    "SUMMARY_ARGS",
    "Alert",
    "Rules",
    "Scope",
    "Timing",
    "Variant",
    "Watched",
    "build_dashboard",
    "build_rule_tests",
    "build_rules",
    "check_rules",
    "find_promtool",
    "run_rule_tests",
    "scope_of",
    "write_dashboard",
    "write_rules",
]
