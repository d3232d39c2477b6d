"""Look-alike Latin and Cyrillic letters put back into the script of their word or code, in both languages."""

from __future__ import annotations

import pytest

from assistants.vision.lookalikes import fix_lookalikes
from assistants.vision.reading import clean_line


@pytest.mark.parametrize(
    ("read", "fixed"),
    [
        # Codes in Russian text: Tesseract's Russian model reads their Latin letters as Cyrillic.
        ("Ошибка 0х80070005: карта отклонена банком-эмитентом", "Ошибка 0x80070005: карта отклонена банком-эмитентом"),
        ("Заказ № АВ-1234 не оплачен", "Заказ № AB-1234 не оплачен"),
        ("Сборка для х64", "Сборка для x64"),
        ("Ошибка РРРоЕ 691", "Ошибка PPPoE 691"),
        ("Код ЕRR_СОNNЕСТION_RЕFUSЕD", "Код ERR_CONNECTION_REFUSED"),
        # Codes and words in English text with Cyrillic letters in them.
        ("Error 0х80070005: card declined", "Error 0x80070005: card declined"),
        ("Раyment fаilеd", "Payment failed"),
        ("Order АВ-1234 was not paid", "Order AB-1234 was not paid"),
    ],
)
def test_codes_and_latin_words_get_latin_letters(read, fixed):
    assert fix_lookalikes(read) == fixed


@pytest.mark.parametrize(
    ("read", "fixed"),
    [
        ("oшибка входа", "ошибка входа"),  # Latin o
        ("Oплата не прошла", "Оплата не прошла"),  # Latin O
        ("Kарта отклонена", "Карта отклонена"),  # Latin K
        ("сoрa на складе", "сора на складе"),  # look-alikes only: the Russian text around it decides
    ],
)
def test_russian_words_get_cyrillic_letters(read, fixed):
    assert fix_lookalikes(read) == fixed


@pytest.mark.parametrize(
    "text",
    [
        "Сор и мусор. Оса, ухо, сера, рука.",  # Russian words of look-alike letters only
        "ООО «Ромашка», ОК",  # Russian capitals
        "Error: copy the code, Coca-Cola, ERR_TIMEOUT, 0x80004005, x64",  # English words and codes
        "Ошибка 404: страница не найдена",
        "Версия 2х быстрее, 5-го числа",  # Russian numerals
        "Привет world",  # two scripts, two words: nothing to guess
    ],
)
def test_genuine_words_are_left_alone(text):
    assert fix_lookalikes(text) == text


@pytest.mark.parametrize(
    ("line", "cleaned"),
    [
        ("| Ошибка", "Ошибка"),
        ("' Оплата не прошла", "Оплата не прошла"),
        ("Payment failed |", "Payment failed"),
        ("'Quoted' text", "'Quoted' text"),
        ("[ок", "ок"),
    ],
)
def test_window_edges_read_as_marks_are_cut_off(line, cleaned):
    assert clean_line(line) == cleaned
