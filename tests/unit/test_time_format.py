"""One way to show a time, in every language: the reader's zone first, then each city; every entry
the local time, the place and its offset from UTC. The expected texts are written out by hand."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.i18n import Place, format_instant

UTC = timezone.utc
PANJIN = Place("Panjin", "Asia/Shanghai")
HAMBURG = Place("Hamburg", "Europe/Berlin")
LISBON = Place("Lisbon", "Europe/Lisbon")
RAVENNA = Place("Ravenna", "Europe/Rome")
KOLKATA = Place("Kolkata", "Asia/Kolkata")
KATHMANDU = Place("Kathmandu", "Asia/Kathmandu")
ST_JOHNS = Place("St. John's", "America/St_Johns")
AUCKLAND = Place("Auckland", "Pacific/Auckland")
LOS_ANGELES = Place("Los Angeles", "America/Los_Angeles")

WED_31_MAR_0700 = datetime(2027, 3, 31, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("instant", "zone", "places", "en", "de", "zh"),
    [
        pytest.param(
            WED_31_MAR_0700, "Europe/Berlin", (PANJIN, HAMBURG),
            "Wed 31 Mar 2027, 09:00 Hamburg (UTC+2) · 15:00 Panjin (UTC+8)",
            "Mi., 31. März 2027, 09:00 Hamburg (UTC+2) · 15:00 Panjin (UTC+8)",
            "2027年3月31日 星期三 09:00 Hamburg（UTC+2） · 15:00 Panjin（UTC+8）",
            id="a Hamburg contact: own city first",
        ),
        pytest.param(
            WED_31_MAR_0700, "Asia/Shanghai", (PANJIN, HAMBURG),
            "Wed 31 Mar 2027, 15:00 Panjin (UTC+8) · 09:00 Hamburg (UTC+2)",
            "Mi., 31. März 2027, 15:00 Panjin (UTC+8) · 09:00 Hamburg (UTC+2)",
            "2027年3月31日 星期三 15:00 Panjin（UTC+8） · 09:00 Hamburg（UTC+2）",
            id="a Panjin contact: own city first",
        ),
        pytest.param(
            WED_31_MAR_0700, "Asia/Kolkata", (KOLKATA, KATHMANDU),
            "Wed 31 Mar 2027, 12:30 Kolkata (UTC+5:30) · 12:45 Kathmandu (UTC+5:45)",
            "Mi., 31. März 2027, 12:30 Kolkata (UTC+5:30) · 12:45 Kathmandu (UTC+5:45)",
            "2027年3月31日 星期三 12:30 Kolkata（UTC+5:30） · 12:45 Kathmandu（UTC+5:45）",
            id="half-hour and 45-minute zones",
        ),
        pytest.param(
            WED_31_MAR_0700, "America/St_Johns", (ST_JOHNS, LOS_ANGELES),
            "Wed 31 Mar 2027, 04:30 St. John's (UTC-2:30) · 00:00 Los Angeles (UTC-7)",
            "Mi., 31. März 2027, 04:30 St. John's (UTC-2:30) · 00:00 Los Angeles (UTC-7)",
            "2027年3月31日 星期三 04:30 St. John's（UTC-2:30） · 00:00 Los Angeles（UTC-7）",
            id="negative offsets, one of them a half hour",
        ),
        # The week Europe changes its clocks (Sunday 28 March 2027) and China does not.
        pytest.param(
            datetime(2027, 3, 26, 8, 0, tzinfo=UTC), "Europe/Lisbon", (PANJIN, LISBON),
            "Fri 26 Mar 2027, 08:00 Lisbon (UTC) · 16:00 Panjin (UTC+8)",
            "Fr., 26. März 2027, 08:00 Lisbon (UTC) · 16:00 Panjin (UTC+8)",
            "2027年3月26日 星期五 08:00 Lisbon（UTC） · 16:00 Panjin（UTC+8）",
            id="Lisbon in winter time",
        ),
        pytest.param(
            datetime(2027, 3, 29, 8, 0, tzinfo=UTC), "Europe/Lisbon", (PANJIN, LISBON),
            "Mon 29 Mar 2027, 09:00 Lisbon (UTC+1) · 16:00 Panjin (UTC+8)",
            "Mo., 29. März 2027, 09:00 Lisbon (UTC+1) · 16:00 Panjin (UTC+8)",
            "2027年3月29日 星期一 09:00 Lisbon（UTC+1） · 16:00 Panjin（UTC+8）",
            id="Lisbon in summer time, three days later",
        ),
        # Auckland leaves summer time on Sunday 4 April 2027; Los Angeles has been in it since 14 March.
        pytest.param(
            datetime(2027, 4, 1, 20, 0, tzinfo=UTC), "Pacific/Auckland", (AUCKLAND, LOS_ANGELES),
            "Fri 2 Apr 2027, 09:00 Auckland (UTC+13) · Thu 1 Apr 2027, 13:00 Los Angeles (UTC-7)",
            "Fr., 2. April 2027, 09:00 Auckland (UTC+13) · Do., 1. April 2027, 13:00 Los Angeles (UTC-7)",
            "2027年4月2日 星期五 09:00 Auckland（UTC+13） · 2027年4月1日 星期四 13:00 Los Angeles（UTC-7）",
            id="Auckland in summer time: another day in Los Angeles",
        ),
        pytest.param(
            datetime(2027, 4, 5, 21, 0, tzinfo=UTC), "America/Los_Angeles", (AUCKLAND, LOS_ANGELES),
            "Mon 5 Apr 2027, 14:00 Los Angeles (UTC-7) · Tue 6 Apr 2027, 09:00 Auckland (UTC+12)",
            "Mo., 5. April 2027, 14:00 Los Angeles (UTC-7) · Di., 6. April 2027, 09:00 Auckland (UTC+12)",
            "2027年4月5日 星期一 14:00 Los Angeles（UTC-7） · 2027年4月6日 星期二 09:00 Auckland（UTC+12）",
            id="Auckland in winter time, read in Los Angeles",
        ),
        pytest.param(
            datetime(2027, 4, 1, 20, 0, tzinfo=UTC), "Pacific/Auckland", (AUCKLAND, LOS_ANGELES, KATHMANDU),
            "Fri 2 Apr 2027, 09:00 Auckland (UTC+13) · Thu 1 Apr 2027, 13:00 Los Angeles (UTC-7)"
            " · Fri 2 Apr 2027, 01:45 Kathmandu (UTC+5:45)",
            "Fr., 2. April 2027, 09:00 Auckland (UTC+13) · Do., 1. April 2027, 13:00 Los Angeles (UTC-7)"
            " · Fr., 2. April 2027, 01:45 Kathmandu (UTC+5:45)",
            "2027年4月2日 星期五 09:00 Auckland（UTC+13） · 2027年4月1日 星期四 13:00 Los Angeles（UTC-7）"
            " · 2027年4月2日 星期五 01:45 Kathmandu（UTC+5:45）",
            id="the date again wherever it changes",
        ),
        # A coordinator has no city: their zone is named by its city, in their language.
        pytest.param(
            WED_31_MAR_0700, "Europe/Brussels", (PANJIN, LISBON),
            "Wed 31 Mar 2027, 09:00 Brussels (UTC+2) · 15:00 Panjin (UTC+8) · 08:00 Lisbon (UTC+1)",
            "Mi., 31. März 2027, 09:00 Brüssel (UTC+2) · 15:00 Panjin (UTC+8) · 08:00 Lisbon (UTC+1)",
            "2027年3月31日 星期三 09:00 布鲁塞尔（UTC+2） · 15:00 Panjin（UTC+8） · 08:00 Lisbon（UTC+1）",
            id="a coordinator in Brussels",
        ),
        pytest.param(
            WED_31_MAR_0700, "Europe/Brussels", (PANJIN, RAVENNA),
            "Wed 31 Mar 2027, 09:00 Brussels, Ravenna (UTC+2) · 15:00 Panjin (UTC+8)",
            "Mi., 31. März 2027, 09:00 Brüssel, Ravenna (UTC+2) · 15:00 Panjin (UTC+8)",
            "2027年3月31日 星期三 09:00 布鲁塞尔、Ravenna（UTC+2） · 15:00 Panjin（UTC+8）",
            id="places whose clocks read the same share one entry",
        ),
        pytest.param(
            WED_31_MAR_0700, "UTC", (),
            "Wed 31 Mar 2027, 07:00 UTC",
            "Mi., 31. März 2027, 07:00 UTC",
            "2027年3月31日 星期三 07:00 UTC",
            id="UTC has no city",
        ),
    ],
)
def test_a_time_reads_the_same_way_in_every_language(
    instant: datetime, zone: str, places: tuple[Place, ...], en: str, de: str, zh: str
) -> None:
    assert format_instant(instant, zone, "en", places) == en
    assert format_instant(instant, zone, "de", places) == de
    assert format_instant(instant, zone, "zh", places) == zh


def test_a_telegram_language_code_picks_its_language_and_an_unknown_one_english() -> None:
    assert format_instant(WED_31_MAR_0700, "Asia/Shanghai", "zh-hans", (PANJIN,)) == "2027年3月31日 星期三 15:00 Panjin（UTC+8）"
    assert format_instant(WED_31_MAR_0700, "Asia/Shanghai", "pt-br", (PANJIN,)) == "Wed 31 Mar 2027, 15:00 Panjin (UTC+8)"
