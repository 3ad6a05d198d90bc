"""Vocabulary of event classes that alert rules watch (``AlertRule.event_classes``).

Providers classify their native alert definitions into these names; checks ask for
them. Keep the strings stable: users write suppressions against evidence that
names them.
"""

from __future__ import annotations

# Privileged and authentication events (CLD.12.1.5)
UNAUTHORIZED_API_CALL = "unauthorized_api_call"
CONSOLE_LOGIN_WITHOUT_MFA = "console_login_without_mfa"
ROOT_USAGE = "root_usage"
IAM_POLICY_CHANGE = "iam_policy_change"
AUDIT_CONFIG_CHANGE = "audit_config_change"
CONSOLE_AUTH_FAILURE = "console_auth_failure"
ORG_CHANGE = "org_change"
POLICY_ASSIGNMENT_CHANGE = "policy_assignment_change"
SECURITY_SOLUTION_CHANGE = "security_solution_change"
OWNERSHIP_CHANGE = "ownership_change"
CUSTOM_ROLE_CHANGE = "custom_role_change"

# Network configuration changes (CLD.13.1.4)
SECURITY_GROUP_CHANGE = "security_group_change"
NACL_CHANGE = "nacl_change"
NETWORK_GATEWAY_CHANGE = "network_gateway_change"
ROUTE_TABLE_CHANGE = "route_table_change"
VPC_CHANGE = "vpc_change"
NSG_CHANGE = "nsg_change"
PUBLIC_IP_CHANGE = "public_ip_change"
FIREWALL_RULE_CHANGE = "firewall_rule_change"

# Provider health (tier 2)
PROVIDER_HEALTH = "provider_health"
