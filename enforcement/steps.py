"""The step endpoints of an action's page: approve, reject, withdraw, retry, revert, override.

Steps that undo or refuse work (reject, withdraw, revert one target or all)
are confirmed first: their buttons open a confirmation page (a GET of the
step's own address, so it works without script) that says what will happen
and asks for the reason the workflow requires. A missing reason comes back
on that page, at its field.

Step endpoints let every role in, so that a refusal (a proposer approving,
an investigator approving) is decided and audited by the workflow and
answered (403 page, or back with a message) by ``RefusalPageMixin``, rather
than silently by a role mixin.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from cases.visibility import can_see
from core.pages import RefusalPageMixin
from enforcement import workflow
from enforcement.models import Action, ActionState, ActionTarget
from people.permissions import RoleRequiredMixin
from people.roles import ALL_ROLES, CASE_READERS, has_role

CONFIRMED_STEPS = ("reject", "withdraw", "revert")


@dataclass(frozen=True)
class Confirmation:
    title: str
    consequence: str
    reason_label: str
    button: str


def confirmation(step: str, action: Action, target: ActionTarget | None) -> Confirmation:
    name = f"action #{action.pk} ({action.get_kind_display().lower()})"
    if step == "reject":
        return Confirmation(
            f"Reject {name}?",
            "It will not be carried out. If the case has no other live action it goes "
            "back to investigating. The proposer reads your reason.",
            "Why it is rejected",
            f"Reject action #{action.pk}",
        )
    if step == "withdraw":
        return Confirmation(
            f"Withdraw {name}?",
            "It leaves the approvals queue and will not be carried out. If the case has "
            "no other live action it goes back to investigating.",
            "Why it is withdrawn",
            f"Withdraw action #{action.pk}",
        )
    if target is not None:
        kind = target.get_target_type_display().lower()
        return Confirmation(
            f"Revert {target.value} in {name}?",
            f"Dossier asks the platform to undo the action for {kind} {target.value} only; "
            "every other target stays as it is.",
            f"Why {target.value} is reverted",
            f"Revert {target.value}",
        )
    counts = workflow.progress(action)
    revertible = sum(counts[state] for state in workflow.REVERTIBLE_TARGET_STATES)
    return Confirmation(
        f"Revert all of {name}?",
        f"Dossier asks the platform to undo the action for all {revertible:,} target"
        f"{'' if revertible == 1 else 's'} it was carried out on.",
        "Why the action is reverted",
        "Revert all",
    )


class ActionStepView(RefusalPageMixin, RoleRequiredMixin, View):
    """GET: the confirmation of a risky step; POST: the step itself."""

    allowed_roles = ALL_ROLES
    step = ""

    def refusal_back(self) -> tuple[str, str]:
        pk = self.kwargs["pk"]
        return reverse("enforcement:action", args=[pk]), f"Back to action #{pk}"

    def action_for(self, pk: int) -> Action:
        action = Action.objects.select_related("case").filter(pk=pk).first()
        user = self.request.user
        if action is None or (has_role(user, *CASE_READERS) and not can_see(user, action.case)):
            raise Http404("No such action.")
        return action

    def target_for(self, action: Action, target_pk: int | None) -> ActionTarget | None:
        if target_pk is None:
            return None
        target = ActionTarget.objects.filter(action=action, pk=target_pk).first()
        if target is None:
            raise Http404("No such target.")
        return target

    def next_url(self, pk: int) -> str:
        request = self.request
        target = request.POST.get("next") or request.GET.get("next") or ""
        if url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return target
        return reverse("enforcement:action", args=[pk])

    def get(self, request, pk: int, target_pk: int | None = None) -> HttpResponse:
        if self.step not in CONFIRMED_STEPS:
            return self.http_method_not_allowed(request)
        action = self.action_for(pk)
        target = self.target_for(action, target_pk)
        if not workflow.step_permissions(action, request.user)[self.step]:
            messages.error(request, f"Action #{pk} cannot be {self.past()} by you now.")
            return redirect(self.next_url(pk))
        return self.confirm(action, target)

    def confirm(
        self, action: Action, target: ActionTarget | None, *, error: str = "", status: int = 200
    ) -> HttpResponse:
        back = self.next_url(action.pk)
        context = {
            "case": action.case,
            "confirm": confirmation(self.step, action, target),
            "hidden": [("next", back)],
            "reason_name": "reason",
            "reason": self.request.POST.get("reason", ""),
            "error": error,
            "back": back,
        }
        return render(self.request, "enforcement/confirm.html", context, status=status)

    def past(self) -> str:
        return {"reject": "rejected", "withdraw": "withdrawn", "revert": "reverted"}[self.step]

    def post(self, request, pk: int, target_pk: int | None = None) -> HttpResponse:
        action = self.action_for(pk)
        try:
            message = self.perform(action, target_pk)
        except workflow.InvalidProposal as exc:
            if self.step not in CONFIRMED_STEPS:
                raise
            # A missing reason is asked for again where the person typed it.
            return self.confirm(
                action, self.target_for(action, target_pk), error=str(exc), status=400
            )
        messages.success(request, message)
        return redirect(self.next_url(pk))

    def perform(self, action: Action, target_pk: int | None) -> str:
        """Run the step; the message says what happened and what comes next."""
        request, pk = self.request, action.pk
        text = (request.POST.get("comment") or request.POST.get("reason") or "").strip()
        user = request.user
        if self.step == "approve":
            action = workflow.approve_action(pk, actor=user, comment=text)
            if action.state == ActionState.AWAITING_SECOND_APPROVAL:
                return (
                    f"Action #{pk}: 1 of {action.approvals_required} approvals; "
                    "another lead must approve before it is carried out."
                )
            return f"Action #{pk} approved; Dossier is carrying it out (progress below)."
        if self.step == "reject":
            workflow.reject_action(pk, actor=user, comment=text)
            return f"Action #{pk} rejected: it will not be carried out; the proposer sees why."
        if self.step == "withdraw":
            workflow.withdraw_action(pk, actor=user, reason=text)
            return f"Action #{pk} withdrawn: it will not be decided or carried out."
        if self.step == "retry":
            workflow.retry_action(pk, actor=user, reason=text)
            return f"Action #{pk} resumed: Dossier calls the platform again (progress below)."
        if self.step == "revert":
            target = self.target_for(action, target_pk)
            ids = None if target is None else [target.pk]
            workflow.revert_action(pk, actor=user, target_ids=ids, reason=text)
            if target is None:
                return (
                    f"Revert of action #{pk} requested: Dossier asks the platform to undo "
                    "every target; their states below turn to Reverted."
                )
            return (
                f"Revert of {target.value} requested: Dossier asks the platform to undo it; "
                "the other targets stay as they are."
            )
        if self.step == "override":
            target = workflow.override_protected(pk, target_pk, actor=user, reason=text)
            return f"{target.value} is included: it is acted on once the action is approved."
        raise Http404  # pragma: no cover - every step is wired in urls.py
