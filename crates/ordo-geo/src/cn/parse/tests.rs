use super::*;

fn parsed(line: &str) -> (Option<String>, Option<String>, Option<String>, String) {
    let a = parse_address(line);
    (a.province, a.city, a.district, a.rest)
}

fn full(p: &str, c: &str, d: &str, rest: &str) -> (Option<String>, Option<String>, Option<String>, String) {
    let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    (some(p), some(c), some(d), rest.to_owned())
}

#[test]
fn full_names_written_together_are_split() {
    assert_eq!(
        parsed("广东省深圳市南山区科技园路1号"),
        full("广东省", "深圳市", "南山区", "科技园路1号")
    );
    assert_eq!(
        parsed("浙江省杭州市西湖区文三路100号"),
        full("浙江省", "杭州市", "西湖区", "文三路100号")
    );
}

#[test]
fn names_separated_by_spaces_or_commas_are_split() {
    assert_eq!(
        parsed("广东省 深圳市 南山区 科技园路1号"),
        full("广东省", "深圳市", "南山区", "科技园路1号")
    );
    assert_eq!(
        parsed("四川省，成都市，武侯区，人民南路4段"),
        full("四川省", "成都市", "武侯区", "人民南路4段")
    );
}

#[test]
fn short_names_are_expanded() {
    assert_eq!(
        parsed("广东深圳南山区科技园路1号"),
        full("广东省", "深圳市", "南山区", "科技园路1号")
    );
    assert_eq!(
        parsed("广西南宁青秀区民族大道100号"),
        full("广西壮族自治区", "南宁市", "青秀区", "民族大道100号")
    );
    assert_eq!(
        parsed("内蒙古呼和浩特新城区新华大街1号"),
        full("内蒙古自治区", "呼和浩特市", "新城区", "新华大街1号")
    );
    assert_eq!(
        parsed("新疆 乌鲁木齐 天山区 解放北路"),
        full("新疆维吾尔自治区", "乌鲁木齐市", "天山区", "解放北路")
    );
}

#[test]
fn autonomous_prefectures_by_full_short_and_colloquial_name() {
    let expected = full("贵州省", "黔东南苗族侗族自治州", "凯里市", "北京东路");
    assert_eq!(parsed("贵州省黔东南苗族侗族自治州凯里市北京东路"), expected);
    assert_eq!(parsed("贵州黔东南州凯里市北京东路"), expected);
    assert_eq!(parsed("贵州黔东南凯里市北京东路"), expected);
    assert_eq!(
        parsed("湖北省恩施州恩施市舞阳大街"),
        full("湖北省", "恩施土家族苗族自治州", "恩施市", "舞阳大街")
    );
}

#[test]
fn province_is_inferred_from_a_unique_city() {
    assert_eq!(
        parsed("深圳市南山区科技园路1号"),
        full("广东省", "深圳市", "南山区", "科技园路1号")
    );
    assert_eq!(
        parsed("苏州市昆山市前进中路"),
        full("江苏省", "苏州市", "昆山市", "前进中路")
    );
}

#[test]
fn municipalities_are_province_and_city() {
    assert_eq!(
        parsed("北京朝阳区建国路88号"),
        full("北京市", "北京市", "朝阳区", "建国路88号")
    );
    assert_eq!(
        parsed("北京市北京市朝阳区建国路88号"),
        full("北京市", "北京市", "朝阳区", "建国路88号")
    );
    assert_eq!(
        parsed("上海市浦东新区世纪大道1号"),
        full("上海市", "上海市", "浦东新区", "世纪大道1号")
    );
    assert_eq!(
        parsed("重庆市秀山土家族苗族自治县中和街道"),
        full("重庆市", "重庆市", "秀山土家族苗族自治县", "中和街道")
    );
    assert_eq!(
        parsed("天津 和平区 南京路"),
        full("天津市", "天津市", "和平区", "南京路")
    );
}

#[test]
fn county_level_cities_under_a_province_stand_as_cities() {
    assert_eq!(
        parsed("湖北省仙桃市钱沟路1号"),
        full("湖北省", "仙桃市", "", "钱沟路1号")
    );
    assert_eq!(
        parsed("广东省东莞市南城街道鸿福路"),
        full("广东省", "东莞市", "", "南城街道鸿福路")
    );
}

#[test]
fn special_administrative_regions_and_country_prefix() {
    assert_eq!(
        parsed("香港特别行政区九龙弥敦道"),
        full("香港特别行政区", "", "", "九龙弥敦道")
    );
    assert_eq!(parsed("澳门 新马路"), full("澳门特别行政区", "", "", "新马路"));
    assert_eq!(
        parsed("中国 广东省 广州市 天河区 天河路"),
        full("广东省", "广州市", "天河区", "天河路")
    );
}

#[test]
fn ambiguous_districts_fill_only_what_every_reading_shares() {
    // 朝阳区 is in Beijing and in Changchun.
    assert_eq!(parsed("朝阳区建国路88号"), full("", "", "朝阳区", "建国路88号"));
    // 鼓楼区 is in Nanjing and in Xuzhou, both in Jiangsu.
    assert_eq!(
        parsed("江苏省鼓楼区中山路1号"),
        full("江苏省", "", "鼓楼区", "中山路1号")
    );
}

#[test]
fn a_province_that_does_not_contain_the_city_is_kept_as_written() {
    assert_eq!(
        parsed("广东省杭州市西湖区文三路100号"),
        full("广东省", "杭州市", "西湖区", "文三路100号")
    );
}

#[test]
fn street_names_that_start_like_a_region_stay_in_the_rest() {
    // 朝阳门 is a street in 东城区, not 朝阳区; a district's short name counts only when set apart.
    assert_eq!(
        parsed("北京市东城区朝阳门北大街"),
        full("北京市", "北京市", "东城区", "朝阳门北大街")
    );
    assert_eq!(
        parsed("广东省广州市天河区中山大道西"),
        full("广东省", "广州市", "天河区", "中山大道西")
    );
    // Streets named after other places are not those places.
    assert_eq!(parsed("北京路313号"), full("", "", "", "北京路313号"));
    assert_eq!(parsed("上海西路1号"), full("", "", "", "上海西路1号"));
    assert_eq!(parsed("朝阳北路100号"), full("", "", "", "朝阳北路100号"));
    assert_eq!(parsed("朝阳门北大街"), full("", "", "", "朝阳门北大街"));
    assert_eq!(parsed("广州北京路步行街"), full("广东省", "广州市", "", "北京路步行街"));
}

#[test]
fn a_line_without_regions_is_all_rest() {
    assert_eq!(parsed("科技园路1号"), full("", "", "", "科技园路1号"));
    assert_eq!(parsed(""), full("", "", "", ""));
}

#[test]
fn every_district_in_the_table_round_trips_through_one_line() {
    let mut failures = Vec::new();
    for d in regions::regions().iter().filter(|r| r.level == CnLevel::District) {
        let city = d.parent().unwrap();
        let province = city.parent().unwrap();
        let expected = full(province.name, city.name, d.name, "人民路1号");
        let short = |r: &Region| r.short.unwrap_or(r.name);
        // 临夏 is 临夏市 and 临夏县 in the same prefecture: such short names say nothing.
        let district_short = match city.children().filter(|c| c.short == d.short).count() {
            1 => short(d),
            _ => d.name,
        };
        for line in [
            format!("{}{}{}人民路1号", province.name, city.name, d.name),
            format!("{} {} {} 人民路1号", short(province), short(city), district_short),
            format!("{}{}{}人民路1号", short(province), short(city), d.name),
            format!("{}{}人民路1号", city.name, d.name),
        ] {
            if parsed(&line) != expected {
                failures.push(format!("{line} → {:?}", parsed(&line)));
            }
        }
    }
    for city in regions::regions()
        .iter()
        .filter(|r| r.level == CnLevel::City && r.children().next().is_none())
    {
        let province = city.parent().unwrap();
        let line = format!("{}{}人民路1号", province.name, city.name);
        if parsed(&line) != full(province.name, city.name, "", "人民路1号") {
            failures.push(format!("{line} → {:?}", parsed(&line)));
        }
    }
    assert!(
        failures.is_empty(),
        "{} lines:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
