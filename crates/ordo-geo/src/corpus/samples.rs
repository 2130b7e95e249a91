//! Realistic raw material for clean orders: names, streets, and real addresses with their
//! correct postal codes and phone area codes for the non-Chinese markets. Phone numbers use
//! ranges reserved for fiction (NANP 555-01xx, Ofcom's drama ranges) where a plan has them.

/// Common Chinese surnames.
pub(super) const CN_SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗",
    "高", "欧阳", "司马",
];

/// Given names.
pub(super) const CN_GIVEN: &[&str] = &[
    "小明", "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀兰", "霞", "平", "刚", "桂英", "子涵", "一诺", "浩然", "梓萱",
];

/// Street names, including the many named after other places (北京路 in Guangzhou, 中山路
/// everywhere), which a parser must not take for regions.
pub(super) const CN_STREETS: &[&str] = &[
    "中山路",
    "中山大道",
    "北京路",
    "南京路",
    "上海路",
    "延安路",
    "长安街",
    "解放北路",
    "朝阳门北大街",
    "西湖路",
    "南山路",
    "科技园路",
    "文三路",
    "人民路",
    "解放路",
    "建设路",
    "和平路",
    "胜利路",
    "幸福大街",
    "学院路",
    "滨江大道",
    "工业大道",
    "花园街",
    "光华路",
    "迎宾大道",
    "育才路",
    "东风路",
    "青年路",
    "振兴路",
    "跃进路",
    "团结路",
    "环城北路",
    "体育路",
    "长江路",
    "黄河路",
    "文化路",
    "金融街",
];

/// Residential compounds for the optional building part of a line.
pub(super) const CN_COMPOUNDS: &[&str] = &[
    "阳光花园",
    "碧桂园",
    "万科城",
    "锦绣家园",
    "翠湖苑",
    "幸福里",
    "金色家园",
];

/// Buyer remarks, as buyers write them.
pub(super) const CN_REMARKS: &[&str] = &[
    "请尽快发货",
    "周末送货，谢谢",
    "放快递柜",
    "不要放门口，打电话",
    "送货前电话联系",
    "发顺丰",
];

/// English given names and surnames.
pub(super) const EN_GIVEN: &[&str] = &[
    "James", "Mary", "Robert", "Patricia", "Olivia", "Liam", "Emma", "Noah", "Sophie", "Oliver",
];
/// English surnames.
pub(super) const EN_SURNAMES: &[&str] = &[
    "Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Miller", "Clark", "Walker",
];
/// German names, some with umlauts (which mojibake breaks).
pub(super) const DE_NAMES: &[&str] = &[
    "Jürgen Müller",
    "Anna Schmidt",
    "Lukas Schäfer",
    "Sophie Weiß",
    "Max Köhler",
    "Lena Fischer",
];
/// Japanese names.
pub(super) const JP_NAMES: &[&str] = &["佐藤 花子", "鈴木 一郎", "高橋 健太", "田中 美咲", "伊藤 翔"];

/// Remarks in English.
pub(super) const EN_REMARKS: &[&str] = &[
    "Leave at the front door",
    "Please ring the bell",
    "Gift - no invoice please",
];

/// A real place abroad: (province/state field, city, postal code, phone area code).
pub(super) struct Abroad {
    /// State, province or prefecture as the address field holds it (empty when unused).
    pub province: &'static str,
    /// City.
    pub city: &'static str,
    /// Canonical postal code.
    pub postal: &'static str,
    /// National significant number prefix used for the phone (area code).
    pub area: &'static str,
}

const fn at(province: &'static str, city: &'static str, postal: &'static str, area: &'static str) -> Abroad {
    Abroad {
        province,
        city,
        postal,
        area,
    }
}

/// United States: state code, city, ZIP (several start with 0), area code.
pub(super) const US: &[Abroad] = &[
    at("NY", "New York", "10001", "212"),
    at("MA", "Boston", "02108", "617"),
    at("CA", "San Francisco", "94103", "415"),
    at("IL", "Chicago", "60601", "312"),
    at("TX", "Austin", "78701", "512"),
    at("WA", "Seattle", "98101", "206"),
    at("NJ", "Newark", "07102", "973"),
    at("ME", "Portland", "04101", "207"),
    at("CO", "Denver", "80202", "303"),
    at("FL", "Miami", "33131", "305"),
    at("CT", "Hartford", "06103", "860"),
    at("DC", "Washington", "20001", "202"),
];

/// United Kingdom: no province field; postcodes of every outward-code shape.
pub(super) const GB: &[Abroad] = &[
    at("", "London", "SW1A 1AA", "20"),
    at("", "London", "EC1A 1BB", "20"),
    at("", "London", "W1A 0AX", "20"),
    at("", "Manchester", "M1 1AE", "161"),
    at("", "Birmingham", "B33 8TH", "121"),
    at("", "Croydon", "CR2 6XH", "20"),
    at("", "Doncaster", "DN55 1PT", "1302"),
    at("", "Edinburgh", "EH1 1YZ", "131"),
    at("", "Cardiff", "CF10 1EP", "29"),
];

/// Germany: no province field; Dresden's code starts with 0.
pub(super) const DE: &[Abroad] = &[
    at("", "Berlin", "10115", "30"),
    at("", "München", "80331", "89"),
    at("", "Dresden", "01067", "351"),
    at("", "Köln", "50667", "221"),
    at("", "Hamburg", "20095", "40"),
    at("", "Frankfurt am Main", "60311", "69"),
    at("", "Düsseldorf", "40213", "211"),
];

/// Canada: province code, city, postal code, area code.
pub(super) const CA: &[Abroad] = &[
    at("ON", "Toronto", "M5V 3L9", "416"),
    at("BC", "Vancouver", "V6B 1A1", "604"),
    at("QC", "Montréal", "H2Y 1C6", "514"),
    at("AB", "Calgary", "T2P 1J9", "403"),
    at("ON", "Ottawa", "K1A 0B1", "613"),
    at("NS", "Halifax", "B3J 1S9", "902"),
];

/// Japan: prefecture, city (ward), postal code, area code.
pub(super) const JP: &[Abroad] = &[
    at("東京都", "千代田区", "100-0001", "3"),
    at("大阪府", "大阪市北区", "530-0001", "6"),
    at("京都府", "京都市中京区", "604-8005", "75"),
    at("北海道", "札幌市中央区", "060-0001", "11"),
    at("福岡県", "福岡市博多区", "812-0011", "92"),
];

/// Street lines per market.
pub(super) const US_STREETS: &[&str] = &[
    "350 5th Ave",
    "1 Market St",
    "221 Beacon St",
    "500 Main St",
    "42 Elm Street",
];
/// UK street lines.
pub(super) const GB_STREETS: &[&str] = &["10 Downing Street", "221B Baker Street", "1 Deansgate", "5 Royal Mile"];
/// German street lines.
pub(super) const DE_STREETS: &[&str] = &["Hauptstraße 5", "Bahnhofstraße 12", "Königstraße 3", "Schloßallee 7"];
/// Canadian street lines.
pub(super) const CA_STREETS: &[&str] = &[
    "100 King St W",
    "200 Burrard St",
    "300 Rue Saint-Paul",
    "400 Barrington St",
];
/// Japanese street lines.
pub(super) const JP_STREETS: &[&str] = &["丸の内1-1-1", "梅田3-1-3", "河原町通1-2", "北1条西2-1", "博多駅前2-1-1"];

/// SKUs and titles shared by every market.
pub(super) const PRODUCTS: &[(&str, &str, &str)] = &[
    ("TEE-RED-M", "纯棉T恤 红色 M", "Cotton tee red M"),
    ("MUG-01", "陶瓷马克杯", "Ceramic mug"),
    ("SOCK-BLK-L", "运动袜 黑色 L", "Sport socks black L"),
    ("CAP-NVY", "棒球帽 藏青", "Baseball cap navy"),
    ("BAG-CNV-01", "帆布包", "Canvas bag"),
];
