"""A second look at the latest fixes of announcements and the team's translations of them
(commit b7ff8ea): what the new behaviour did to the people who use it. Each test was a
defect of those fixes, fixed since."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.scheduler.outbox import wake
from bot.services.availability import AvailabilityMap, Level
from storage.db import Database
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person, outbox_settled
from tests.test_announcements_for_real_e2e import (
    ASK_TEAM,
    CLOSED,
    CLOSED_PA,
    DUTCH_ONLY,
    MONDAY_2130,
    asked,
    draft_content,
    request_of,
    send_from,
    skip_voices,
)
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, coordinator_with_programme, onboard
from tests.test_questions_e2e import join_team
from tests.test_team_translation_e2e import GREEN

ON_LEAVE = AvailabilityMap.all(Level.RED)  # sick, or on leave: the whole week red
SWIM_NL = "Vrijdag is er geen zwemles."
SWIM_TR = "Cuma günü yüzme dersi yok."
SWIM_PA = "ਸ਼ੁੱਕਰਵਾਰ ਨੂੰ ਤੈਰਾਕੀ ਦੀ ਕਲਾਸ ਨਹੀਂ ਹੈ।"


async def quiet(fake: FakeTelegram) -> None:
    await fake.wait_idle(quiet=0.3)


# --------------------------------------------------------------------------------------------
# a translation after sending


async def test_a_translation_typed_without_swipe_after_an_evening_send_is_pointed_to_it(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock
) -> None:
    greet = await coordinator_of(chat)
    simran = await join_team(chat, greet, 9101, "Simran", {"nl", "pa"}, db, availability=GREEN)
    await onboard(chat, 9111, "Harpreet", "pa", "klimop")
    clock.moment = MONDAY_2130
    await greet.says("/announce")
    await greet.says(CLOSED)
    await greet.taps(DUTCH_ONLY)
    await greet.taps(ASK_TEAM)
    screen = await skip_voices(greet)
    await send_from(greet, fake, screen)
    await asked(fake, db, simran)

    answer = (await simran.says(CLOSED_PA))[-1]["text"]
    # The copy still waits for Harpreet's morning: a reply to the request would fill it.
    assert "🙋" in answer, answer


async def test_the_promise_that_the_translation_follows_is_kept(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    mehmet = await join_team(chat, greet, 9201, "Mehmet", {"nl", "tr"}, db, availability=GREEN)
    ayse = await onboard(chat, 9211, "Ayşe", "tr", "klimop")
    await greet.says("/announce")  # Sunday 10:00: nobody has quiet hours
    await greet.says(SWIM_NL)
    await greet.taps(ASK_TEAM)
    await greet.taps(DUTCH_ONLY)
    screen = await skip_voices(greet)
    confirmation = await send_from(greet, fake, screen)
    await wait_until(lambda: any(SWIM_NL in t for t in fake.texts(ayse.id)), fake)
    await asked(fake, db, mehmet)

    await mehmet.says(SWIM_TR, reply_to=request_of(fake, mehmet))
    wake(bot.app)
    await quiet(fake)
    promised = "tot de vertaling er is" in confirmation
    assert not promised or any(SWIM_TR in t for t in fake.texts(ayse.id)), (
        confirmation, fake.texts(ayse.id), mehmet.last_text())


# --------------------------------------------------------------------------------------------
# asking the team


async def test_asking_a_colleague_on_leave_says_she_is_off(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    await join_team(chat, greet, 9301, "Fatma", {"nl", "tr"}, db, availability=ON_LEAVE)
    await greet.says("/announce")
    await greet.says(SWIM_NL)
    told = (await greet.taps(ASK_TEAM))[0]["text"]
    # Told she is off (or not asked at all): anything but "asked, it is added when it comes".
    assert ("Fatma" in told or "niet beschikbaar" in told
            or not told.startswith("1 collega gevraagd")), told


# --------------------------------------------------------------------------------------------
# the long letter

BODY = [
    "Beste ouders,",
    "Op vrijdag 4 december gaan alle kinderen van het derde tot het zesde leerjaar op "
    "uitstap naar het Gallo-Romeins Museum in Tongeren. We vertrekken om 8.30 uur met de bus "
    "aan de schoolpoort en zijn terug rond 15.45 uur. Wilt u ervoor zorgen dat uw kind op tijd "
    "is? De bus wacht niet.",
    "Geef uw kind een lunchpakket, een drinkbus met water en een tussendoortje mee. Snoep en "
    "frisdrank laten we liever thuis. Kinderen die een dieet volgen of allergisch zijn, melden "
    "dat aan de klasleerkracht. Wij zorgen dan voor een oplossing.",
    "Het museum vraagt een bijdrage van vijf euro per kind. Dat bedrag komt op de "
    "schoolrekening van december. Wie het moeilijk heeft om dit te betalen, kan altijd "
    "discreet langskomen bij de zorgcoördinator. Niemand blijft thuis omdat het te duur is.",
    "Trek uw kind stevige schoenen en een warme jas aan. Een deel van de uitstap is buiten, "
    "bij de Romeinse stadsmuur. Bij regen gaan we binnen in de ateliers, waar de kinderen zelf "
    "een Romeinse olielamp maken van klei. Die mogen ze daarna mee naar huis nemen.",
    "Wij zoeken nog twee ouders die mee willen als begeleider. U betaalt niets en u eet samen "
    "met de kinderen. Interesse? Laat het weten via de agenda of spreek de juf aan aan de "
    "poort. Ook ouders die weinig Nederlands spreken, zijn heel welkom.",
    "Kinderen die niet meegaan, blijven op school in de klas van meester Koen. Zij krijgen "
    "die dag een eigen programma rond het thema Romeinen, met een film en een knutselwerk.",
    "Heeft uw kind medicatie nodig tijdens de dag? Geef die in een zakje met de naam van uw "
    "kind en een briefje met de uren mee. De leerkracht bewaart het en geeft het op tijd.",
    "Op maandag 7 december is er een kort ouderbabbel in de refter over hoe de uitstap "
    "verliep, met foto's. Koffie en thee staan klaar vanaf kwart na drie. Broers en zussen "
    "zijn ook welkom, er is een speelhoek voor de kleinsten.",
    "De gymzakken gaan de week voordien mee naar huis om te wassen. Kijk ook even of de naam "
    "van uw kind nog leesbaar is op de jas, de muts en de brooddoos. Elk jaar blijven er na "
    "een uitstap spullen liggen die niemand terugvindt.",
    "De kinderen van het eerste en tweede leerjaar gaan niet mee naar Tongeren. Zij hebben op "
    "dezelfde dag hun eigen uitstap naar de kinderboerderij in Brustem. Daarover krijgt u "
    "volgende week een aparte brief van juf Sofie.",
    "In het museum mogen de kinderen geen foto's maken met een gsm. Wij nemen zelf foto's en "
    "zetten een selectie op de afgeschermde website van de school. Wilt u niet dat uw kind op "
    "foto's staat, laat het ons dan zeker weten.",
    "Kinderen die wagenziek worden, zitten best vooraan in de bus. Geef hen eventueel een "
    "plastic zakje mee en, na overleg met uw huisarts of apotheker, een pilletje.",
    "Omdat de bus vroeg vertrekt, is de voorschoolse opvang die dag al open vanaf 7.00 uur. U "
    "hoeft daarvoor niet in te schrijven. De opvang is gratis voor wie die dag meegaat.",
    "Komt de bus later terug dan gepland, bijvoorbeeld door file op de autosnelweg, dan sturen "
    "wij een bericht via deze bot en via Smartschool. Houd uw telefoon dus bij de hand rond "
    "vier uur.",
    "De kinderen werken al enkele weken in de klas rond de Romeinen: ze leerden over de "
    "legioenen, de wegen, de badhuizen en het leven in een Romeinse stad. In het museum zien "
    "ze dat allemaal in het echt. Wij hopen op een leerrijke en fijne dag.",
    "Hebt u nog vragen of twijfels, ook over iets anders dan deze uitstap? Onze brugfiguren "
    "Fatma en Simran helpen u graag, in het Turks, het Punjabi of het Nederlands. U kunt hen "
    "ook een vraag stellen via deze bot.",
    "Wie met de fiets naar school komt, kan de fiets die dag gewoon in de fietsenstalling "
    "laten staan. De poort blijft open tot de bus terug is. Ouders die hun kind met de auto "
    "komen halen, parkeren best in de Tiensestraat en niet voor de schoolpoort.",
    "Tijdens de uitstap zijn de juffen en meesters bereikbaar via het nummer van het "
    "secretariaat. Bel alleen als het dringend is: zij hebben die dag de handen vol met "
    "zestig kinderen.",
    "Vergeet ook niet het strookje onderaan deze brief in te vullen en tegen woensdag mee te "
    "geven in de boekentas.",
]
SIGN_OFF = "Met vriendelijke groeten,\nJuf Annelies en het hele team van Klim-op"

TR_BODY = [
    "Sevgili veliler,",
    "4 Aralık Cuma günü üçüncü sınıftan altıncı sınıfa kadar bütün çocuklar Tongeren'deki "
    "Gallo-Roma Müzesi'ne geziye gidiyor. Saat 8.30'da okul kapısının önünden otobüsle yola "
    "çıkıyoruz ve yaklaşık 15.45'te geri dönüyoruz. Lütfen çocuğunuzun zamanında okulda "
    "olmasına dikkat edin. Otobüs beklemiyor.",
    "Çocuğunuza bir öğle yemeği paketi, içinde su olan bir matara ve ara öğün için bir şey "
    "verin. Şeker ve gazlı içecekleri evde bırakmanızı rica ediyoruz. Diyet yapan ya da "
    "alerjisi olan çocukları sınıf öğretmenine bildirin. Biz de bir çözüm buluruz.",
    "Müze çocuk başına beş avro katkı payı istiyor. Bu tutar aralık ayının okul faturasına "
    "eklenecek. Bunu ödemekte zorlanan veliler her zaman gizlice bakım koordinatörüne "
    "gelebilir. Hiçbir çocuk pahalı olduğu için evde kalmayacak.",
    "Çocuğunuza sağlam ayakkabılar ve sıcak bir mont giydirin. Gezinin bir kısmı dışarıda, "
    "Roma dönemi şehir surlarının yanında geçiyor. Yağmur yağarsa içeride, atölyelerde "
    "olacağız; orada çocuklar kilden kendi Roma kandillerini yapacaklar. Kandillerini daha "
    "sonra eve götürebilirler.",
    "Refakatçi olarak gelmek isteyen iki veliye daha ihtiyacımız var. Hiçbir şey "
    "ödemiyorsunuz ve çocuklarla birlikte yemek yiyorsunuz. İlgileniyor musunuz? Ajanda "
    "üzerinden haber verin ya da kapıda öğretmenle konuşun. Az Felemenkçe konuşan veliler de "
    "çok hoş karşılanır.",
    "Geziye katılmayan çocuklar okulda, Koen öğretmenin sınıfında kalacak. O gün onlar için "
    "Romalılar konusunda bir film ve bir el işi etkinliğiyle ayrı bir program hazırlandı.",
    "Çocuğunuzun gün içinde ilaç alması gerekiyor mu? İlacı, üzerinde çocuğunuzun adı olan "
    "bir poşet içinde ve saatlerini yazdığınız bir notla birlikte gönderin. Öğretmen ilacı "
    "saklar ve zamanında verir.",
    "7 Aralık Pazartesi günü yemekhanede, gezinin nasıl geçtiğini fotoğraflarla anlatacağımız "
    "kısa bir veli sohbeti var. Kahve ve çay saat üçü çeyrek geçeden itibaren hazır olacak. "
    "Kardeşler de gelebilir; en küçükler için bir oyun köşesi var.",
    "Spor çantaları bir hafta önceden yıkanmak üzere eve gönderilecek. Lütfen çocuğunuzun "
    "adının montun, berenin ve beslenme kutusunun üzerinde hâlâ okunup okunmadığına da bakın. "
    "Her yıl geziden sonra kimsenin bulamadığı eşyalar ortada kalıyor.",
    "Birinci ve ikinci sınıf çocukları Tongeren'e gitmiyor. Aynı gün onların Brustem'deki "
    "çocuk çiftliğine kendi gezileri var. Bununla ilgili gelecek hafta Sofie öğretmenden ayrı "
    "bir mektup alacaksınız.",
    "Müzede çocukların cep telefonuyla fotoğraf çekmesi yasak. Fotoğrafları biz çekiyoruz ve "
    "bir seçkisini okulun şifreli web sitesine koyuyoruz. Çocuğunuzun fotoğraflarda "
    "görünmesini istemiyorsanız, lütfen bunu mutlaka bize bildirin.",
    "Araba tutan çocuklar otobüste en iyisi öne otursun. Gerekirse yanlarına plastik bir "
    "poşet ve aile hekiminize ya da eczacınıza danıştıktan sonra bir hap verin.",
    "Otobüs erken kalktığı için o gün okul öncesi bakım saat 7.00'den itibaren açık olacak. "
    "Bunun için kayıt yaptırmanıza gerek yok. O gün geziye katılanlar için bakım ücretsizdir.",
    "Otobüs planlanandan geç dönerse, örneğin otoyolda trafik sıkışıklığı yüzünden, bu bot "
    "ve Smartschool üzerinden size mesaj göndereceğiz. Bu yüzden saat dört civarında "
    "telefonunuzu yanınızda bulundurun.",
    "Çocuklar birkaç haftadır sınıfta Romalılar üzerine çalışıyor: lejyonları, yolları, "
    "hamamları ve bir Roma şehrindeki hayatı öğrendiler. Müzede bunların hepsini gerçekten "
    "görecekler. Öğretici ve güzel bir gün geçirmeyi umuyoruz.",
    "Bu geziyle ya da başka bir konuyla ilgili sorularınız veya tereddütleriniz mi var? "
    "Köprü görevlilerimiz Fatma ve Simran size Türkçe, Pencapça ya da Felemenkçe seve seve "
    "yardım eder. Onlara bu bot üzerinden de soru sorabilirsiniz.",
    "Okula bisikletle gelen çocuklar o gün bisikletlerini bisiklet parkında bırakabilir. "
    "Otobüs dönene kadar kapı açık kalacak. Çocuğunu arabayla almaya gelen veliler lütfen "
    "okul kapısının önüne değil, Tiensestraat'a park etsin.",
    "Gezi sırasında öğretmenlere sekreterliğin numarasından ulaşabilirsiniz. Lütfen sadece "
    "acil durumlarda arayın: o gün altmış çocukla elleri dolu olacak.",
    "Lütfen bu mektubun altındaki formu doldurmayı ve çarşambaya kadar çocuğunuzun çantasına "
    "koymayı da unutmayın.",
]
TR_SIGN_OFF = "Saygılarımızla,\nAnnelies öğretmen ve Klim-op'un bütün ekibi"


def split_by_telegram(text: str) -> tuple[str, str]:
    """What Telegram's apps send for a text over 4,096 characters: two messages, cut at the
    last paragraph break that fits."""
    assert len(text) > 4096
    cut = text.rindex("\n\n", 0, 4096)
    return text[:cut], text[cut + 2:]


async def test_the_closing_lines_of_a_long_letter_are_not_taken_for_the_turkish(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    await greet.says("/announce")
    head, rest = split_by_telegram("\n\n".join(BODY) + "\n\n" + SIGN_OFF)
    assert len(head) >= 3800 and rest == SIGN_OFF  # the letter's closing lines, alone
    await greet.says(head)
    await greet.says(rest)
    parts = (await draft_content(db))["parts"]
    assert "tr" not in parts, parts.get("tr")
    assert parts["nl"]["text"].rstrip().endswith("Klim-op"), parts["nl"]["text"][-80:]


async def test_a_long_turkish_text_split_by_telegram_is_not_taken_for_the_punjabi(
    chat: Chat, fake: FakeTelegram, db: Database
) -> None:
    greet = await coordinator_of(chat)
    await greet.says("/announce")
    dutch = "\n\n".join(BODY)
    assert 3800 <= len(dutch) <= 4096  # one message
    await greet.says(dutch)
    head, rest = split_by_telegram("\n\n".join(TR_BODY) + "\n\n" + TR_SIGN_OFF)
    await greet.says(head)
    await greet.says(rest)
    parts = (await draft_content(db))["parts"]
    assert parts["tr"]["text"].startswith(head[:200]), parts["tr"]["text"][:80]
    assert "pa" not in parts, parts["pa"]["text"][:200]


# --------------------------------------------------------------------------------------------
# two colleagues at once


async def test_two_languages_replied_at_once_are_both_kept(
    chat: Chat, fake: FakeTelegram, db: Database, bot: Handled
) -> None:
    greet = await coordinator_of(chat)
    mehmet = await join_team(chat, greet, 9601, "Mehmet", {"nl", "tr"}, db, availability=GREEN)
    simran = await join_team(chat, greet, 9602, "Simran", {"nl", "pa"}, db, availability=GREEN)
    await greet.says("/announce")
    await greet.says(SWIM_NL)
    await greet.taps(ASK_TEAM)
    await greet.taps(ASK_TEAM)
    await asked(fake, db, mehmet, simran)

    words = {mehmet.id: SWIM_TR, simran.id: SWIM_PA}
    updates = [fake.send_text(member.user, words[member.id],
                              reply_to_message_id=(request_of(fake, member) or {})[
                                  "message_id"]) for member in (mehmet, simran)]
    for update in updates:
        await bot.wait(update["update_id"])
    await quiet(fake)
    parts = (await draft_content(db))["parts"]
    assert {"tr", "pa"} <= set(parts), ([fake.texts(m.id)[-1] for m in (mehmet, simran)],
                                        parts.keys())


# --------------------------------------------------------------------------------------------
# the week's programme: copies made for parents without rows

YOGA = "Kinderyoga · wo 25/11 14:00"
NL_WEEK = "Programma van maandag 23 november"
SUNDAY_2230 = datetime(2026, 11, 22, 21, 30, tzinfo=UTC)
MONDAY_0830 = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)


async def send_week_to(greet: Person, fake: FakeTelegram, untick: list[str]) -> dict[str, Any]:
    """/broadcast with some languages unticked, then 📤 and ✅ (the warned one if it is
    asked); returns the draft's message (its live progress line)."""
    [screen] = await greet.says("/broadcast")
    draft_id = next(d for _t, d in FakeTelegram.inline_buttons(screen)
                    if d.endswith(":go")).split(":")[1]
    for code in untick:
        await greet.taps(data=f"bc:{draft_id}:l:{code}")
    await greet.taps(data=f"bc:{draft_id}:go")
    shown = fake.message(greet.id, screen["message_id"]) or {}
    yes = next(d for _t, d in FakeTelegram.inline_buttons(shown) if ":y" in d)
    await greet.presses(shown, yes)
    return screen


async def test_a_parent_who_has_the_week_from_a_second_send_does_not_get_it_twice(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_with_programme(chat)
    await onboard(chat, 9901, "Els", "nl", "vlindertje")
    ayse = await onboard(chat, 9902, "Ayşe", "tr", "vlindertje")
    clock.moment = SUNDAY_2230
    dutch = await send_week_to(greet, fake, ["tr", "pa"])
    turkish = await send_week_to(greet, fake, ["nl", "pa"])
    for screen in (dutch, turkish):
        await wait_until(lambda s=screen: "🌙" in (
            fake.message(greet.id, s["message_id"]) or {}).get("text", ""), fake)

    clock.moment = datetime(2026, 11, 22, 21, 40, tzinfo=UTC)
    await ayse.presses_key("🌐")
    await ayse.taps("Nederlands")  # she reads Dutch better after all

    clock.moment = datetime(2026, 11, 22, 21, 45, tzinfo=UTC)
    await greet.says("/activities")  # a day cancelled by mistake and brought back at once
    await greet.taps(YOGA)
    await greet.taps("❌ Alleen deze keer annuleren")
    await greet.taps("❌ Ja, annuleren")
    if any(t == "Nee, niets laten weten" for m in fake.transcript(greet.id)[-2:]
           for t, _d in FakeTelegram.inline_buttons(m)):
        await greet.taps("Nee, niets laten weten")
    await greet.says("/activities")
    await greet.taps("❌ " + YOGA)
    await greet.taps("✅ Toch niet geannuleerd")
    await greet.taps("✅ Ja, het gaat door")

    clock.moment = MONDAY_0830
    wake(bot.app)
    await outbox_settled(db)
    await quiet(fake)
    weeks = [t for t in fake.texts(ayse.id) if t.startswith(NL_WEEK)]
    assert len(weeks) == 1, len(weeks)
