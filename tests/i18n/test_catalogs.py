from i18n.catalog_tool import problems


def test_every_shipped_locale_is_complete_and_templates_are_current() -> None:
    assert problems() == []
