use proptest::prelude::*;

use super::*;

#[test]
fn full_width_ascii_becomes_ascii() {
    assert_eq!(clean("ＡＢＣ－１２３"), "ABC-123");
    assert_eq!(clean("科技园路１号２栋"), "科技园路1号2栋");
    assert_eq!(clean("ｘｍ＠ｅｘａｍｐｌｅ．ｃｏｍ"), "xm@example.com");
}

#[test]
fn chinese_punctuation_beside_chinese_text_is_kept() {
    assert_eq!(clean("收货人（王先生），请放门口"), "收货人（王先生），请放门口");
    assert_eq!(clean("Room（A），3F"), "Room(A),3F");
}

#[test]
fn whitespace_is_collapsed_and_trimmed() {
    assert_eq!(clean("  王\u{3000}小明 \t "), "王 小明");
    assert_eq!(clean("221B\u{A0}\u{A0}Baker  Street"), "221B Baker Street");
}

#[test]
fn invisible_and_control_characters_are_removed() {
    assert_eq!(clean("王\u{200B}小明\u{FEFF}"), "王小明");
    assert_eq!(clean("A\u{0}B\u{7}C\u{202E}"), "ABC");
}

#[test]
fn mojibake_is_repaired_when_the_round_trip_is_exact() {
    assert_eq!(clean("MÃ¼nchen"), "München");
    assert_eq!(clean("å¹¿ä¸œ"), "广东");
    assert_eq!(clean("Â£5"), "£5");
    assert_eq!(clean(&to_mojibake("Яндекс")), "Яндекс");
    assert_eq!(
        clean(&to_mojibake("广东省深圳市南山区科技园路1号")),
        "广东省深圳市南山区科技园路1号"
    );
    assert_eq!(clean(&to_mojibake("Montréal")), "Montréal");
    assert_eq!(clean(&to_mojibake("请尽快发货")), "请尽快发货");
    // Latin-1 decoders give C1 controls where Windows-1252 gives letters.
    let latin1: String = "中文".bytes().map(char::from).collect();
    assert_eq!(clean(&latin1), "中文");
}

#[test]
fn legitimate_accents_are_not_mistaken_for_mojibake() {
    for text in [
        "München",
        "São Paulo",
        "Ærøskøbing",
        "naïve café",
        "Ã",
        "Ã and Â",
        "Weiß\u{A0}",
    ] {
        assert_eq!(fix_mojibake(text), None, "{text}");
    }
}

#[test]
fn mojibake_mixed_with_invisible_and_full_width_characters_is_repaired() {
    let broken = format!("\u{200B}{}", to_mojibake("科技园路１号"));
    assert_eq!(clean(&broken), "科技园路1号");
}

#[test]
fn clean_text_is_borrowed() {
    assert!(matches!(clean("广东省深圳市"), Cow::Borrowed(_)));
}

#[test]
fn multiline_keeps_paragraphs() {
    assert_eq!(
        clean_multiline("  请尽快发货 \r\n\r\n\r\n  谢谢\u{200B}  \n\n"),
        "请尽快发货\n\n谢谢"
    );
}

proptest! {
    #[test]
    fn clean_is_idempotent(s in "\\PC*") {
        let once = clean(&s).into_owned();
        prop_assert_eq!(clean(&once).into_owned(), once);
    }

    #[test]
    fn clean_is_idempotent_on_mojibake_and_full_width(s in "[a-zA-Z0-9 广东省深圳市南山区ü，（）\u{3000}\u{200B}]{0,24}") {
        for variant in [to_mojibake(&s), s.clone(), to_mojibake(&to_mojibake(&s))] {
            let once = clean(&variant).into_owned();
            prop_assert_eq!(clean(&once).into_owned(), once);
        }
    }

    #[test]
    fn clean_undoes_mojibake(s in "[a-z0-9 广东省深圳市南山区üéß]{1,24}") {
        let expected = clean(&s).into_owned();
        prop_assert_eq!(clean(&to_mojibake(&s)).into_owned(), expected);
    }

    #[test]
    fn multiline_clean_is_idempotent(s in "\\PC*") {
        let once = clean_multiline(&s).into_owned();
        prop_assert_eq!(clean_multiline(&once).into_owned(), once);
    }
}
