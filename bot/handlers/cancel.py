"""/cancel: what someone started and left half-done ends, as Telegram users expect of it.

The coordinator's /announce or /activity that waits for a typed answer: the draft ends and
nothing is sent or saved (else the next word typed, "stop", became the announcement's
text). A parent's ❓ with a topic tapped and nothing written: gone, so that a "thank you"
later asks nothing. Anything else: nothing to cancel."""

from __future__ import annotations

from telegram import Update

from bot.handlers.activity_flow import back_to_new_activity
from bot.handlers.door import BotContext, door
from bot.handlers.keyboards import main_keyboard
from bot.i18n import _
from bot.services import activity_draft, announcement, questions
from bot.services.roles import Role


@door()
async def cancel_command(update: Update, context: BotContext) -> None:
    assert update.effective_chat is not None and context.person is not None
    person_id, session = context.person.id, context.session
    if context.role is Role.COORDINATOR:
        draft = await announcement.awaiting_draft(session, person_id)
        activity = await activity_draft.awaiting_draft(session, person_id)
        if draft is not None:
            await announcement.cancel(session, draft.id)
        if activity is not None:
            await activity_draft.drop(session, activity.id)
        if draft is not None or activity is not None:
            await session.commit()
            await update.effective_chat.send_message(
                "✖️ " + _("Stopped. Nothing was sent or saved."))
            if activity is not None and activity.activity_id is not None:
                # An edit stopped: the new activity she was making before it is still there.
                await back_to_new_activity(update, context)
            return
    elif await questions.drop_empty_draft(session, person_id):
        await session.commit()
        await update.effective_chat.send_message(
            "✖️ " + _("OK, no question. Tap ❓ when you want to ask one."),
            reply_markup=main_keyboard())
        return
    await update.effective_chat.send_message(
        _("There is nothing to cancel."),
        **({"reply_markup": main_keyboard()} if context.role is Role.PARENT else {}))
