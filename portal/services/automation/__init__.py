"""Automation rules (SPEC §8): events, conditions and actions a supervisor sets up for the team.

    from portal.services import automation
    automation.rules.read_form(supervisor, request.form)  # the rule form -> (RuleSpec, every error)
    automation.rules.create_rule(supervisor, spec)   # audited; ValidationError(fields)
    automation.templates.enable_template(supervisor, "new_client_call")
    automation.engine.fire("client_created", client, actor=user)   # inside the business transaction
"""
from portal.services.automation import engine, events, placeholders, rules, templates
from portal.services.automation.engine import describe, fire, order_changed, run_date_rules
from portal.services.automation.rules import (
                    RuleSpec,
                    create_rule,
                    form_values,
                    rule_of,
                    rules_of,
                    run_counts,
                    runs,
                    set_active,
                    spec_from_form,
                    spec_of,
                    update_rule,
                    validate,
)
from portal.services.automation.templates import TEMPLATES, enable_template, enabled_templates

__all__ = ["engine", "events", "placeholders", "rules", "templates", "describe", "fire", "order_changed",
           "run_date_rules", "RuleSpec", "create_rule", "form_values", "rule_of", "rules_of", "run_counts", "runs",
           "set_active", "spec_from_form", "spec_of", "update_rule", "validate", "TEMPLATES", "enable_template",
           "enabled_templates"]
