"""The actions menus.yaml may name, each one transaction against the core.

An action gets the unit of work, the loaded menus (for texts), the dialogue's context
and the node's arguments; it returns the values its screen may show and records the
SMS it sends in `ctx.sent`, so they can be delivered once committed. The modules
beside this one register the actions by area.
"""

from gateway.actions import access, account, corporate, corporate_admin, money, services  # noqa: F401 - they register
from gateway.actions.base import ACTIONS, Action, Context, login_time, perform, send_sms
from menus.loader import Catalogue

# Texts the code itself uses, beyond the nodes' own.
REQUIRED_TEXTS = (
    "password_sms", "app_link_sms", "login_notification_sms", "invalid_choice",
    "invalid_input", "too_many_tries", "session_ended", "unknown_service_code",
    "error.default", "nav_back", "nav_more", "list_empty", "voice_item",
    "promised_none", "promised_status", "question_waiting", "support_fallback_answer",
    "corporate_registered_sms", "corporate.already_registered", "corporate.not_a_member",
    "corporate.sim_blocked", "ussd_timeout", "ussd_app_error",
    "voice_no_input", "voice_input_unfinished", "voice_max_timeouts", "voice_max_failures", "voice_credit_limit",
    "corporate_password_sms", "corporate_report_sms", "no_limit", "no_employees", "federal",
    "access.view", "access.subscriber", "access.account",
    "client_kind.company", "client_kind.sole_trader", "client_kind.private_practice",
)

CATALOGUE = Catalogue(
    actions={name: action.outputs for name, action in ACTIONS.items()},
    required_texts=REQUIRED_TEXTS,
)

__all__ = ["ACTIONS", "CATALOGUE", "REQUIRED_TEXTS", "Action", "Context", "login_time", "perform", "send_sms"]
