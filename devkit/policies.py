"""A small evaluator of IAM policy documents: what an identity policy and a resource policy together
answer to one request, for exactly the policy language this stack's policies use.

`decide(identity_policies, resource_policy, request)` is "allow", "explicit deny" or "implicit deny",
following the IAM User Guide, "Policy evaluation logic"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):

- an explicit deny in any policy overrides any allow ("How AWS enforcement code logic evaluates
  requests to allow or deny access": "An explicit deny overrides an explicit allow");
- within one account, an Allow in either the identity policies or the resource policy suffices
  ("Policy evaluation for requests within a single account": "If either the identity-based policy or
  the resource-based policy within the same account allows the request and the other doesn't, the
  request is still allowed");
- across accounts, both must allow ("Cross-account policy evaluation logic": the resource policy names
  the other account's principal, and "the principal's identity-based policy must allow the requested
  access to the resource");
- a resource policy that names an account (`"AWS": "111122223333"` or its `:root` ARN) delegates to
  that account's IAM rather than granting by itself (IAM User Guide, "AWS JSON policy elements:
  Principal", AWS account principals: every identity of the account may have access if its IAM
  permissions allow it), so its Allow counts only together with an identity Allow;
- a service principal (`sns.amazonaws.com`) holds no identity policy: only a resource policy naming
  its service allows it;
- nothing allows: implicit deny.

What a statement matches:

- Effect Allow or Deny; Action / NotAction and Resource / NotResource with IAM's wildcards (`*` any
  characters, `?` one), actions case-insensitive, resources case-sensitive; a statement without
  Resource (or NotResource) matches every resource;
- Principal (resource policies only): `"*"`, `{"AWS": "*"}`, `{"AWS": <ARN, account id or list>}`,
  `{"Service": <name or list>}`; an identity policy's statements apply to the caller;
- Condition: ArnEquals, ArnNotEquals, ArnLike, ArnNotLike (each of an ARN's six colon-separated parts
  matched with wildcards: "Amazon Resource Name (ARN) condition operators"), StringEquals,
  StringNotEquals, StringLike, StringNotLike, Bool. Operators and keys are ANDed, a key's values ORed,
  and a negated operator is true when the request's value matches none of them
  ("Conditions with multiple context keys or values");
- a key the request does not have: IAM User Guide, "IAM JSON policy elements: Condition operators"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
  "If the key that you specify in a policy condition is not present in the request context, the values
  do not match and the condition is false. If the policy condition requires that the key is not
  matched, such as StringNotLike or ArnNotLike, and the right key is not present, the condition is
  true." So a Deny on `ArnNotEquals aws:PrincipalArn` also denies a caller without that key (a service
  principal).

The request context holds aws:PrincipalArn and aws:PrincipalAccount (an IAM principal: a role's ARN
stands for its sessions too, as aws:PrincipalArn gives "the ARN of the role, not the ARN of the user
that assumed the role": IAM User Guide, "AWS global condition context keys"), or aws:PrincipalServiceName
(a service principal, which has neither of the others), aws:SecureTransport, and whatever else a
`Request` is given.

What it does NOT evaluate, and refuses (ValueError) when a policy uses it, rather than answer wrongly:
NotPrincipal, the ...IfExists, Null, Numeric*, Date*, IpAddress, Binary and *IgnoreCase operators,
ForAllValues / ForAnyValue, policy variables (`${aws:username}`). Nor does it know of: AWS
Organizations SCPs and RCPs, permissions boundaries, session policies, ACLs, VPC endpoint policies,
AWS managed policies it is not given, the account root user's own access, a KMS key policy's being
required, a role trust policy's being required, or any service's default policy (a topic's default
policy, for one). The emulator does not fill the gap: moto keeps an SNS topic's Policy attribute, an
SQS queue's Policy and a Secrets Manager resource policy as data and evaluates none of them (its IAM
access control, off unless asked for, reads the caller's identity policies only), so what these
policies deny is shown here, offline, and not by the emulated stack.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Decision = Literal["allow", "explicit deny", "implicit deny"]
Document = Mapping[str, Any]

ACCOUNT_ID = re.compile(r"[0-9]{12}")
ROOT = re.compile(r"arn:aws[a-z-]*:iam::([0-9]{12}):root")
OPERATORS = {
    # name: (how one policy value matches one request value, negated)
    "StringEquals": ("equals", False),
    "StringNotEquals": ("equals", True),
    "StringLike": ("like", False),
    "StringNotLike": ("like", True),
    "ArnEquals": ("arn", False),
    "ArnLike": ("arn", False),
    "ArnNotEquals": ("arn", True),
    "ArnNotLike": ("arn", True),
    "Bool": ("bool", False),
}


@dataclass(frozen=True)
class Request:
    """One call: who makes it, what and on which resource, and the rest of its context.

    `principal` is the caller as aws:PrincipalArn names it (an IAM role's ARN for any of its sessions,
    a user's ARN), or a service principal's name (`sns.amazonaws.com`). `account` is the resource's
    account, read from its ARN unless given (an S3 ARN names none).
    """

    principal: str
    action: str
    resource: str
    secure_transport: bool = True
    account: str | None = None
    context: Mapping[str, str | Sequence[str]] = field(default_factory=dict)

    @property
    def is_service(self) -> bool:
        return not self.principal.startswith("arn:")

    @property
    def principal_account(self) -> str | None:
        return None if self.is_service else _arn_account(self.principal)

    @property
    def resource_account(self) -> str | None:
        return self.account or _arn_account(self.resource)

    def keys(self) -> dict[str, list[str]]:
        """The request context, each key in lower case (condition keys are case-insensitive)."""
        keys = {"aws:securetransport": ["true" if self.secure_transport else "false"]}
        if self.is_service:
            keys["aws:principalservicename"] = [self.principal]
        else:
            keys["aws:principalarn"] = [self.principal]
            keys["aws:principalaccount"] = [self.principal_account or ""]
        for key, value in self.context.items():
            keys[key.lower()] = [value] if isinstance(value, str) else list(value)
        return keys


def decide(identity_policies: Iterable[Document], resource_policy: Document | None, request: Request) -> Decision:
    """What IAM answers to `request` made by a principal holding `identity_policies`, on a resource
    whose policy is `resource_policy` (None: it has none)."""
    identity = [statement for policy in identity_policies for statement in statements(policy)]
    resource = statements(resource_policy) if resource_policy else []
    if any(s["Effect"] == "Deny" and _applies(s, request) for s in identity):
        return "explicit deny"
    if any(s["Effect"] == "Deny" and _applies(s, request) and _names(s, request) for s in resource):
        return "explicit deny"
    identity_allows = any(s["Effect"] == "Allow" and _applies(s, request) for s in identity)
    named = [_names(s, request) for s in resource if s["Effect"] == "Allow" and _applies(s, request)]
    grants, delegates = "grants" in named, "delegates" in named
    same_account = not request.is_service and request.principal_account == request.resource_account
    if request.is_service:  # a service principal holds no identity policy: only the resource's may allow it
        allowed = grants
    elif same_account:
        allowed = identity_allows or grants
    else:
        allowed = identity_allows and (grants or delegates)
    return "allow" if allowed else "implicit deny"


def statements(policy: Document) -> list[Mapping[str, Any]]:
    """A policy's statements (one statement may be given bare), each checked for what is evaluated."""
    found = policy.get("Statement", [])
    listed = [found] if isinstance(found, Mapping) else list(found)
    for statement in listed:
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise ValueError(f"a statement's Effect is Allow or Deny, not {statement.get('Effect')!r}")
        if "Action" not in statement and "NotAction" not in statement:
            raise ValueError("a statement names an Action or a NotAction")
        if "NotPrincipal" in statement:
            raise ValueError("NotPrincipal is not evaluated")
    return listed


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    """Action, Resource and Condition match the request (Principal is `_names`' business)."""
    if "Action" in statement:
        acts = any(like(pattern, request.action, ignore_case=True) for pattern in _listed(statement["Action"]))
    else:
        acts = not any(like(pattern, request.action, ignore_case=True) for pattern in _listed(statement["NotAction"]))
    if "Resource" in statement:
        on = any(like(pattern, request.resource) for pattern in _listed(statement["Resource"]))
    elif "NotResource" in statement:
        on = not any(like(pattern, request.resource) for pattern in _listed(statement["NotResource"]))
    else:
        on = True
    return acts and on and conditions_hold(statement.get("Condition") or {}, request.keys())


def _names(statement: Mapping[str, Any], request: Request) -> Literal["grants", "delegates", ""]:
    """How a resource policy's statement names the caller: by itself (or everyone), by its account, or not."""
    principal = statement.get("Principal")
    if principal is None:
        raise ValueError("a resource policy's statement names a Principal")
    if principal == "*":
        return "grants"
    if not isinstance(principal, Mapping):
        raise ValueError(f"a Principal is '*' or a map, not {principal!r}")
    for kind, given in principal.items():
        for value in _listed(given):
            if kind == "Service" and request.is_service and value == request.principal:
                return "grants"
            if kind != "AWS" or request.is_service:
                continue
            if value in ("*", request.principal):
                return "grants"
            account = value if ACCOUNT_ID.fullmatch(value) else (ROOT.fullmatch(value) or [None, None])[1]
            if account is not None and account == request.principal_account:
                return "delegates"
    return ""


def conditions_hold(condition: Mapping[str, Any], keys: Mapping[str, Sequence[str]]) -> bool:
    """Every operator's every key holds (AND); a key holds when any of its values matches (OR), or,
    negated, when none does; a key the request lacks never matches (so a negated operator holds)."""
    for operator, tests in condition.items():
        if operator not in OPERATORS:
            raise ValueError(f"the condition operator {operator} is not evaluated")
        how, negated = OPERATORS[operator]
        for key, expected in tests.items():
            present = keys.get(key.lower(), [])
            matched = any(_matches(how, str_value(value), got) for value in _listed(expected) for got in present)
            if matched == negated:
                return False
    return True


def str_value(value: Any) -> str:
    """A condition value as IAM reads it: YAML's booleans are the strings true and false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and "${" in value:
        raise ValueError(f"policy variables are not evaluated: {value!r}")
    return str(value)


def _matches(how: str, expected: str, got: str) -> bool:
    if how == "equals":
        return expected == got
    if how == "like":
        return like(expected, got)
    if how == "bool":
        return expected.lower() == got.lower()
    parts, wanted = got.split(":", 5), expected.split(":", 5)
    return len(parts) == len(wanted) == 6 and all(like(w, p) for w, p in zip(wanted, parts, strict=True))


def like(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's wildcards: `*` any run of characters (none too), `?` exactly one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in str_value(pattern))
    return re.fullmatch(regex, value, re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


def _listed(value: Any) -> list[str]:
    return [str_value(item) for item in (value if isinstance(value, list) else [value])]


def _arn_account(arn: str) -> str | None:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and ACCOUNT_ID.fullmatch(parts[4]) else None
