use super::*;

fn names(r: &Reconciled) -> (Option<&str>, Option<&str>, Option<&str>) {
    (r.province, r.city, r.district)
}

#[test]
fn consistent_names_are_expanded_and_completed() {
    let r = reconcile(Some("广东"), Some("深圳"), Some("南山区"));
    assert_eq!(r.status, Status::Consistent);
    assert_eq!(names(&r), (Some("广东省"), Some("深圳市"), Some("南山区")));

    let r = reconcile(None, Some("杭州市"), Some("西湖区"));
    assert_eq!(r.status, Status::Consistent);
    assert_eq!(r.province, Some("浙江省"));

    let r = reconcile(Some("北京"), None, Some("朝阳区"));
    assert_eq!(names(&r), (Some("北京市"), Some("北京市"), Some("朝阳区")));
}

#[test]
fn a_district_unique_in_its_province_fills_the_city() {
    let r = reconcile(Some("浙江省"), None, Some("西湖区"));
    assert_eq!(r.status, Status::Consistent);
    assert_eq!(r.city, Some("杭州市"));
}

#[test]
fn province_city_mismatch_is_corrected_when_the_city_is_unambiguous() {
    let r = reconcile(Some("广东省"), Some("杭州市"), Some("西湖区"));
    assert_eq!(r.status, Status::ProvinceCorrected);
    assert_eq!(names(&r), (Some("浙江省"), Some("杭州市"), Some("西湖区")));

    let r = reconcile(Some("湖南省"), Some("恩施州"), None);
    assert_eq!(r.status, Status::ProvinceCorrected);
    assert_eq!(r.province, Some("湖北省"));
}

#[test]
fn province_district_mismatch_is_corrected_only_for_a_unique_district() {
    let r = reconcile(Some("江苏省"), None, Some("余杭区"));
    assert_eq!(r.status, Status::ProvinceCorrected);
    assert_eq!(names(&r), (Some("浙江省"), Some("杭州市"), Some("余杭区")));

    // 西湖区 is in Hangzhou and Nanchang: nothing to correct Guangdong to.
    let r = reconcile(Some("广东省"), None, Some("西湖区"));
    assert!(
        matches!(r.status, Status::Ambiguous(ref places) if places.len() == 2),
        "{r:?}"
    );
}

#[test]
fn ambiguous_districts_are_reported_not_guessed() {
    let r = reconcile(None, None, Some("朝阳区"));
    let Status::Ambiguous(places) = &r.status else {
        panic!("{r:?}")
    };
    let cities: Vec<_> = places.iter().map(|p| p.city.unwrap()).collect();
    assert_eq!(cities, ["北京市", "长春市"]);
    assert_eq!(names(&r), (None, None, Some("朝阳区")));

    let r = reconcile(Some("江苏"), None, Some("鼓楼区"));
    assert!(matches!(r.status, Status::Ambiguous(ref p) if p.len() == 2), "{r:?}");
    assert_eq!(r.province, Some("江苏省"));

    let r = reconcile(None, None, Some("鼓楼区"));
    assert!(matches!(r.status, Status::Ambiguous(ref p) if p.len() >= 3), "{r:?}");
}

#[test]
fn city_and_district_that_contradict_are_a_conflict() {
    let r = reconcile(Some("广东省"), Some("广州市"), Some("南山区"));
    let Status::Conflicting(places) = &r.status else {
        panic!("{r:?}")
    };
    assert!(places.iter().any(|p| p.city == Some("深圳市")));
    assert!(places.iter().any(|p| p.city == Some("广州市")));
}

#[test]
fn unknown_names_are_unrecognised() {
    assert_eq!(
        reconcile(Some("火星省"), None, None).status,
        Status::Unrecognised(CnLevel::Province)
    );
    assert_eq!(
        reconcile(Some("广东"), Some("不存在市"), None).status,
        Status::Unrecognised(CnLevel::City)
    );
    assert_eq!(reconcile(None, None, None).status, Status::Empty);
}

#[test]
fn old_exports_with_shixiaqu_as_city_are_understood() {
    let r = reconcile(Some("上海市"), Some("市辖区"), Some("徐汇区"));
    assert_eq!(r.status, Status::Consistent);
    assert_eq!(r.city, Some("上海市"));
}

#[test]
fn autonomous_regions_and_sars() {
    let r = reconcile(Some("西藏"), Some("拉萨"), Some("城关区"));
    assert_eq!(names(&r), (Some("西藏自治区"), Some("拉萨市"), Some("城关区")));
    let r = reconcile(Some("宁夏"), Some("银川"), Some("兴庆区"));
    assert_eq!(r.province, Some("宁夏回族自治区"));
    let r = reconcile(Some("香港"), None, None);
    assert_eq!((r.province, &r.status), (Some("香港特别行政区"), &Status::Consistent));
}

#[test]
fn every_district_reconciles_from_short_names_and_survives_a_wrong_province() {
    let mut failures = Vec::new();
    for d in regions::regions().iter().filter(|r| r.level == CnLevel::District) {
        let city = d.parent().unwrap();
        let province = city.parent().unwrap();
        let wrong = if province.code == 440000 {
            "浙江省"
        } else {
            "广东省"
        };
        let short = |r: &Region| r.short.unwrap_or(r.name);
        let expected = (Some(province.name), Some(city.name), Some(d.name));
        let r = reconcile(Some(short(province)), Some(short(city)), Some(d.name));
        if (r.status.clone(), names(&r)) != (Status::Consistent, expected) {
            failures.push(format!("{} {} {}: {r:?}", province.name, city.name, d.name));
        }
        let r = reconcile(Some(wrong), Some(city.name), Some(d.name));
        if (r.status.clone(), names(&r)) != (Status::ProvinceCorrected, expected) {
            failures.push(format!("{wrong} {} {}: {r:?}", city.name, d.name));
        }
    }
    assert!(failures.is_empty(), "{}:\n{}", failures.len(), failures.join("\n"));
}
