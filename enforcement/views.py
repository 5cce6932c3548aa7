"""Pages for actions: the approvals queue, an action's page, proposing.

Views are thin: they call ``enforcement.workflow`` and show what it says.
The step endpoints (approve, reject, revert…) are ``enforcement.steps``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from cases.models import Case
from cases.pagination import InvalidCursor, Sort, page_of
from cases.visibility import can_see
from core.pages import RefusalPageMixin
from enforcement import workflow
from enforcement.filters import ActionFilter
from enforcement.forms import DecisionForm, ProposeForm
from enforcement.models import Action, ActionState, TargetState
from enforcement.reading import (
    approval_queue,
    blast_radius,
    case_accounts,
    paused_actions,
    progress_report,
)
from enforcement.steps import Confirmation
from people.permissions import RoleRequiredMixin
from people.roles import (
    CASE_READERS,
    INVESTIGATORS_AND_LEADS,
    LEADS,
)

TARGETS_PER_PAGE = 100
APPROVALS_PER_PAGE = 50
# The longest-waiting action first, as a queue is worked.
OLDEST_FIRST = Sort("proposed", "Oldest first", "proposed_at", descending=False, is_datetime=True)


def visible_action(user, pk: int) -> Action:
    action = get_object_or_404(
        Action.objects.select_related(
            "case", "proposed_by", "approved_by", "second_approved_by", "decided_by"
        ),
        pk=pk,
    )
    if not can_see(user, action.case):
        raise Http404("No such action.")
    return action


class ApprovalsView(RoleRequiredMixin, TemplateView):
    """Leads' queue of actions awaiting a decision, oldest first, filtered and paged as
    ``/api/v1/actions/`` is; approve or reject singly or in bulk."""

    allowed_roles = LEADS
    template_name = "enforcement/approvals.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        filterset = ActionFilter(request.GET or None, queryset=approval_queue(), request=request)
        filterset.limit_states(workflow.AWAITING_DECISION)
        actions: list[Action] = []
        page = None
        cursor_error = ""
        if not filterset.is_bound or filterset.is_valid():
            queryset = filterset.qs
            cursor = request.GET.get("cursor")
            try:
                page = page_of(queryset, OLDEST_FIRST, cursor=cursor, size=APPROVALS_PER_PAGE)
            except InvalidCursor:
                cursor_error = "That page link is no longer valid; showing the first page."
                page = page_of(queryset, OLDEST_FIRST, cursor=None, size=APPROVALS_PER_PAGE)
            actions = page.items
        query = request.GET.copy()
        query.pop("cursor", None)
        context.update(
            filter=filterset,
            actions=actions,
            page=page,
            cursor_error=cursor_error,
            base_query=query.urlencode(),
            paused=paused_actions(),
        )
        return context

    def post(self, request):
        decision = request.POST.get("decision")
        ids = [int(pk) for pk in request.POST.getlist("action") if pk.isdigit()]
        form = DecisionForm(request.POST)
        comment = form.cleaned_data["comment"] if form.is_valid() else ""
        if decision not in ("approve", "reject") or not ids:
            messages.error(request, "Choose one or more actions, then approve or reject.")
            return redirect("enforcement:approvals")
        if decision == "reject" and not (request.POST.get("confirmed") and comment.strip()):
            return self.confirm_rejection(ids, comment)
        step = workflow.approve_action if decision == "approve" else workflow.reject_action
        done, awaiting = [], []
        for pk in ids:
            try:
                action = step(pk, actor=request.user, comment=comment)
            except workflow.ActionRefused as exc:
                messages.error(request, f"Action #{pk}: {exc}")
                continue
            if action.state == ActionState.AWAITING_SECOND_APPROVAL:
                awaiting.append(f"#{pk}")
            else:
                done.append(f"#{pk}")
        if done and decision == "approve":
            messages.success(
                request, f"Approved {', '.join(done)}: execution starts now (see each action)."
            )
        elif done:
            messages.success(
                request, f"Rejected {', '.join(done)}: not carried out; the proposers see why."
            )
        if awaiting:
            messages.success(
                request,
                f"{', '.join(awaiting)}: 1 of 2 approvals; another lead must approve "
                "before they are carried out.",
            )
        return redirect("enforcement:approvals")

    def confirm_rejection(self, ids: list[int], comment: str) -> HttpResponse:
        """Rejecting several actions at once is confirmed, with the reason each proposer reads."""
        listed = ", ".join(f"#{pk}" for pk in ids)
        confirm = Confirmation(
            f"Reject {len(ids)} action{'' if len(ids) == 1 else 's'} ({listed})?",
            "They will not be carried out; each case with no other live action goes back to "
            "investigating. Every proposer reads your reason.",
            "Why they are rejected",
            f"Reject {listed}",
        )
        back = reverse("enforcement:approvals")
        retried = bool(self.request.POST.get("confirmed"))
        context = {
            "confirm": confirm,
            "hidden": [("decision", "reject"), ("confirmed", "1"), *(("action", pk) for pk in ids)],
            "reason_name": "comment",
            "reason": comment,
            "error": workflow.REJECTION_NEEDS_A_REASON if retried else "",
            "back": back,
        }
        status = 400 if retried else 200
        return render(self.request, "enforcement/confirm.html", context, status=status)


class ActionView(RoleRequiredMixin, TemplateView):
    """One action: blast radius, approvals, progress, per-target results, steps."""

    allowed_roles = CASE_READERS
    template_name = "enforcement/action.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        action = visible_action(self.request.user, kwargs["pk"])
        targets = action.targets.select_related("override_by").order_by("pk")
        state = self.request.GET.get("state")
        if state in TargetState.values:
            targets = targets.filter(state=state)
        page = Paginator(targets, TARGETS_PER_PAGE).get_page(self.request.GET.get("page"))
        context.update(
            action=action,
            case=action.case,
            radius=blast_radius(action),
            report=progress_report(action),
            page=page,
            state_filter=state or "",
            target_states=TargetState.choices,
            can=workflow.step_permissions(action, self.request.user),
            revertible_states=workflow.REVERTIBLE_TARGET_STATES,
        )
        return context


class ActionProgressView(RoleRequiredMixin, View):
    """Small JSON polled by the progress bar while an action executes."""

    allowed_roles = CASE_READERS

    def get(self, request, pk: int):
        action = visible_action(request.user, pk)
        response = JsonResponse(progress_report(action))
        response["Cache-Control"] = "no-store"
        return response


class ProposeView(RefusalPageMixin, RoleRequiredMixin, TemplateView):
    """An investigator or lead proposes an action on a case; left without targets,
    an account action is one proposal over every account the case links."""

    allowed_roles = INVESTIGATORS_AND_LEADS
    template_name = "enforcement/propose.html"

    def refusal_back(self) -> tuple[str, str]:
        pk = self.kwargs["case_pk"]
        return reverse("cases:detail", args=[pk]), f"Back to case #{pk}"

    def get_case(self) -> Case:
        case = get_object_or_404(Case, pk=self.kwargs["case_pk"])
        if not can_see(self.request.user, case):
            raise Http404("No such case.")
        return case

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", ProposeForm(initial={"kind": self.request.GET.get("kind")}))
        context["case"] = case = self.get_case()
        # Why this case takes no proposal now (its status), said before any form.
        context["refusal"] = workflow.proposal_refusal(self.request.user, case)
        # Counts, never the rows: a campaign's case links tens of thousands of accounts.
        context["accounts"] = case_accounts(case.pk)
        return context

    def post(self, request, case_pk: int):
        case = self.get_case()
        if "choose_kind" in request.POST:
            # Without the page's script: show the fields of the kind chosen, propose nothing.
            form = ProposeForm.for_kind(request.POST.dict())
            return self.render_to_response(self.get_context_data(form=form))
        form = ProposeForm(request.POST)
        if form.is_valid():
            try:
                action = workflow.propose_action(
                    case.pk,
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    targets=form.target_specs(),
                    params=form.params(),
                    notice=form.cleaned_data["notice"],
                    rationale=form.cleaned_data["rationale"],
                    expires_at=form.cleaned_data["expires_at"],
                )
            except workflow.NotPermitted:
                raise
            except workflow.ActionRefused as exc:
                # Anything but "not allowed" is shown on the form, at its field.
                form.add_error(exc.field, str(exc))
            except ValidationError as exc:  # a malformed targets line
                form.add_error(None, exc)
            else:
                messages.success(request, proposed_message(action))
                return redirect("enforcement:action", pk=action.pk)
        context = self.get_context_data(form=form)
        return self.render_to_response(context, status=400)


def proposed_message(action: Action) -> str:
    """What proposing did and who acts next."""
    if action.approvals_required > 1:
        who = f"{action.approvals_required} leads other than you must approve it"
    else:
        who = "a lead other than you must approve it"
    return f"Action #{action.pk} proposed: {who} before it is carried out."
