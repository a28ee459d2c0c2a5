"""Staff join with a one-time link: /invite makes one, /start staff_<token> uses it."""

from __future__ import annotations

from telegram import Update

from bot.handlers.door import BotContext, door
from bot.i18n import _, format_date, use_locale
from bot.scheduler.outbox import wake
from bot.services import outbox, people, questions, staff
from bot.services.onboarding import StartLink
from bot.services.outbox import NewMessage
from bot.services.roles import Role
from bot.services.routing import BY_HOURS
from bot.services.staff import InviteOutcome


@door(roles=(Role.COORDINATOR,))
async def invite_command(update: Update, context: BotContext) -> None:
    """/invite: a link for one new brugfiguur, valid 7 days."""
    assert update.effective_chat is not None and context.person is not None
    now = context.now()
    token = await staff.create_invite(context.session, context.person.id, now)
    await context.commit()
    await update.effective_chat.send_message(
        _("Here is an invite link for one new brugfiguur.\n"
          "It works once, until {date}. Send it to them in a private message.")
        .format(date=format_date(now + staff.INVITE_VALID))
        + "\n\n" + staff.invite_link(context.bot.username, token))


async def redeem(update: Update, context: BotContext, link: StartLink) -> bool:
    """Inside /start (the person has a row): join the team (True), or say why the link
    failed."""
    assert update.effective_chat is not None and context.person is not None
    if link.kind != "staff":
        return False
    if context.role is Role.COORDINATOR:
        await update.effective_chat.send_message(
            _("You are the coordinator: you do not need an invite link."))
        return False
    newly = context.role is not Role.BRUGFIGUUR  # not their own link tapped again
    outcome = await staff.redeem_invite(context.session, link.value, context.person.id,
                                        context.now())
    if outcome is InviteOutcome.JOINED:
        if newly:
            await _tell_coordinators(context, update.update_id)
        # Joining is saying "I am here": a /stop from their time as a parent (a child who
        # left school in June) would keep every question away from them.
        await people.resume(context.session, context.person.id)
        context.role = Role.BRUGFIGUUR
        await context.reload_person()
        return True
    texts = {
        InviteOutcome.EXPIRED: _("This invite link has expired. "
                                 "Please ask the coordinator for a new one."),
        InviteOutcome.USED: _("This invite link was already used. "
                              "Please ask the coordinator for a new one."),
        InviteOutcome.UNKNOWN: _("I do not know this invite link. "
                                 "Please ask the coordinator for a new one."),
        InviteOutcome.ALREADY: _("You are in the team already. This invite link is still "
                                 "free for the colleague it was made for."),
    }
    await update.effective_chat.send_message(texts[outcome])
    return False


async def _tell_coordinators(context: BotContext, stamp: int) -> None:
    """A link was used: the coordinators hear who joined (each in their language and hours,
    as their notices about questions), and that she still needs a school. ``stamp``: the
    update's id, one notice per joining."""
    person = context.person
    assert person is not None
    coordinators = await questions.coordinator_recipients(context.session,
                                                          context.settings.coordinator_ids)
    messages = []
    for recipient in coordinators:
        with use_locale(recipient.locale, context.settings.timezone):
            text = "👋 " + _("{name} joined the team with an invite link. {name} is no "
                            "school's fixed contact yet: tap /staff, then 🏫 Match "
                            "schools.").format(name=person.first_name)
        # Its key ends as the contact notices' (about<id>): her /forget takes it while it
        # waits.
        messages.append(NewMessage(
            dedupe_key=f"contact:joined:{stamp}:{recipient.chat_id}:about{person.id}",
            chat_id=recipient.chat_id, person_id=None, kind="text",
            payload={"text": text, "always": True, BY_HOURS: True}))
    await outbox.enqueue_many(context.session, messages)
    await context.commit()
    wake(context.application)
