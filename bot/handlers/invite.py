"""Staff join with a one-time link: /invite makes one, /start staff_<token> uses it."""

from __future__ import annotations

from telegram import Update

from bot.handlers.door import BotContext, door
from bot.i18n import _, format_date
from bot.services import people, staff
from bot.services.onboarding import StartLink
from bot.services.roles import Role
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
    outcome = await staff.redeem_invite(context.session, link.value, context.person.id,
                                        context.now())
    if outcome is InviteOutcome.JOINED:
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
