//! The sample catalogue and the places, names and phrases orders are made of.

use super::{CatalogueItem, Warehouse};

const fn item(sku: &'static str, name: &'static str, name_en: &'static str, price_fen: i64) -> CatalogueItem {
    CatalogueItem {
        sku,
        name,
        name_en,
        price_fen,
    }
}

pub(super) const CATALOGUE: &[CatalogueItem] = &[
    item("TEE-RED-M", "红色纯棉T恤 M", "Red cotton tee, M", 7900),
    item("TEE-RED-L", "红色纯棉T恤 L", "Red cotton tee, L", 7900),
    item("TEE-BLK-M", "黑色纯棉T恤 M", "Black cotton tee, M", 7900),
    item("TEE-WHT-S", "白色纯棉T恤 S", "White cotton tee, S", 6900),
    item("HOODIE-GRY-L", "灰色连帽卫衣 L", "Grey hoodie, L", 19900),
    item("JEANS-BLU-32", "蓝色直筒牛仔裤 32", "Blue straight jeans, 32", 25900),
    item("SOCKS-3PK", "棉袜三双装", "Cotton socks, 3-pack", 2990),
    item("CAP-NAVY", "藏青色棒球帽", "Navy baseball cap", 5900),
    item("MUG-01", "陶瓷马克杯", "Ceramic mug", 3550),
    item("MUG-02", "不锈钢保温杯 500ml", "Steel vacuum flask, 500 ml", 8900),
    item("TOTE-CANVAS", "帆布托特包", "Canvas tote bag", 4900),
    item("CASE-IP15", "手机壳 iPhone 15", "Phone case, iPhone 15", 3900),
    item("CABLE-USBC-1M", "USB-C 数据线 1米", "USB-C cable, 1 m", 2500),
    item("CHARGER-65W", "65W 氮化镓充电器", "65 W GaN charger", 12900),
    item("EARBUDS-BT", "蓝牙降噪耳机", "Noise-cancelling earbuds", 29900),
    item("TEA-LONGJING-250", "西湖龙井 250g", "Longjing green tea, 250 g", 16800),
    item("NOTEBOOK-A5", "A5 点阵笔记本", "A5 dotted notebook", 1800),
    item("PEN-GEL-10", "中性笔 十支装", "Gel pens, 10-pack", 1590),
    item("LAMP-DESK", "LED 护眼台灯", "LED desk lamp", 19900),
    item("BOTTLE-750", "运动水壶 750ml", "Sports bottle, 750 ml", 5900),
];

#[rustfmt::skip]
pub(super) const WAREHOUSES: &[Warehouse] = &[
    Warehouse { code: "HZ-01", name: "杭州仓 Hangzhou", city: "杭州市", country: "CN", lat: 30.2741, lon: 120.1551 },
    Warehouse { code: "SZ-01", name: "深圳仓 Shenzhen", city: "深圳市", country: "CN", lat: 22.5431, lon: 114.0579 },
    Warehouse { code: "BJ-01", name: "北京仓 Beijing", city: "北京市", country: "CN", lat: 39.9042, lon: 116.4074 },
    Warehouse { code: "CD-01", name: "成都仓 Chengdu", city: "成都市", country: "CN", lat: 30.5728, lon: 104.0668 },
    Warehouse { code: "LA-01", name: "Los Angeles DC", city: "Los Angeles", country: "US", lat: 34.0522, lon: -118.2437 },
    Warehouse { code: "FRA-01", name: "Frankfurt DC", city: "Frankfurt am Main", country: "DE", lat: 50.1109, lon: 8.6821 },
];

/// (channel, weight): roughly the mix of a brand selling in China and abroad.
#[rustfmt::skip]
pub(super) const CHANNELS: &[(&str, u32)] = &[
    ("taobao", 22), ("tmall", 14), ("jd", 14), ("douyin", 12), ("pinduoduo", 10), ("web", 8),
    ("shopify", 9), ("amazon", 8), ("woocommerce", 3),
];

/// (province, city, district, postal code, streets).
pub(super) type CnPlace = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);
#[rustfmt::skip]
pub(super) const CN_PLACES: &[CnPlace] = &[
    ("浙江省", "杭州市", "西湖区", "310012", &["文三路", "天目山路", "古墩路"]),
    ("浙江省", "杭州市", "余杭区", "311121", &["文一西路", "五常大道"]),
    ("广东省", "深圳市", "南山区", "518057", &["科技园南路", "深南大道", "海德三道"]),
    ("广东省", "广州市", "天河区", "510620", &["天河路", "体育西路", "花城大道"]),
    ("北京市", "北京市", "朝阳区", "100020", &["建国路", "东三环中路", "望京街"]),
    ("北京市", "北京市", "海淀区", "100080", &["中关村大街", "学院路"]),
    ("上海市", "上海市", "浦东新区", "200120", &["世纪大道", "张江路", "陆家嘴环路"]),
    ("上海市", "上海市", "徐汇区", "200030", &["漕溪北路", "衡山路"]),
    ("四川省", "成都市", "武侯区", "610041", &["天府大道", "人民南路四段"]),
    ("江苏省", "南京市", "鼓楼区", "210008", &["中山北路", "湖南路"]),
    ("江苏省", "苏州市", "姑苏区", "215000", &["人民路", "干将西路"]),
    ("湖北省", "武汉市", "洪山区", "430070", &["珞喻路", "光谷大道"]),
    ("陕西省", "西安市", "雁塔区", "710061", &["小寨东路", "科技路"]),
    ("重庆市", "重庆市", "渝中区", "400010", &["民族路", "中山三路"]),
    ("福建省", "厦门市", "思明区", "361001", &["中山路", "环岛南路"]),
    ("山东省", "青岛市", "市南区", "266071", &["香港中路", "东海西路"]),
    ("湖南省", "长沙市", "岳麓区", "410006", &["麓山南路", "枫林三路"]),
];
#[rustfmt::skip]
pub(super) const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "林"];
#[rustfmt::skip]
pub(super) const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "磊", "军", "洋", "艳", "杰", "涛", "小明", "思远", "雨桐", "子涵", "浩然", "欣怡",
];
#[rustfmt::skip]
pub(super) const CN_REMARKS: &[&str] = &["请尽快发货", "不要放发票", "周末送货", "请用顺丰快递", "送礼用，请不要放价格单"];
#[rustfmt::skip]
pub(super) const INTL_REMARKS: &[&str] = &["Leave at the door", "Gift: please leave the invoice out", "Please ring the bell"];

/// A place abroad: country, region, city, postal code, UTC offset (hours), streets, number
/// first (`12 Baker Street`) or last (`Torstraße 12`), currency, phone prefix, given names,
/// family names.
pub(super) struct IntlPlace {
    pub(super) country: &'static str,
    pub(super) region: &'static str,
    pub(super) city: &'static str,
    pub(super) postal: &'static str,
    pub(super) offset_hours: i32,
    pub(super) streets: &'static [&'static str],
    pub(super) number_first: bool,
    pub(super) currency: &'static str,
    pub(super) phone: &'static str,
    pub(super) given: &'static [&'static str],
    pub(super) family: &'static [&'static str],
}

const US_GIVEN: &[&str] = &["James", "Emily", "Michael", "Olivia", "Daniel", "Sophia"];
const US_FAMILY: &[&str] = &["Smith", "Johnson", "Brown", "Davis", "Miller", "Wilson"];
const DE_GIVEN: &[&str] = &["Lukas", "Anna", "Felix", "Marie", "Jonas", "Lea"];
const DE_FAMILY: &[&str] = &["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner"];

#[rustfmt::skip]
pub(super) const INTL_PLACES: &[IntlPlace] = &[
    IntlPlace { country: "US", region: "CA", city: "Los Angeles", postal: "90012", offset_hours: -8,
        streets: &["S Grand Ave", "W 3rd St", "Sunset Blvd"], number_first: true, currency: "USD",
        phone: "+1 213-555-01", given: US_GIVEN, family: US_FAMILY },
    IntlPlace { country: "US", region: "NY", city: "New York", postal: "10001", offset_hours: -5,
        streets: &["W 34th St", "Broadway", "8th Ave"], number_first: true, currency: "USD",
        phone: "+1 212-555-01", given: US_GIVEN, family: US_FAMILY },
    IntlPlace { country: "DE", region: "Berlin", city: "Berlin", postal: "10115", offset_hours: 1,
        streets: &["Invalidenstraße", "Torstraße"], number_first: false, currency: "EUR",
        phone: "+49 30 55501", given: DE_GIVEN, family: DE_FAMILY },
    IntlPlace { country: "DE", region: "Bayern", city: "München", postal: "80331", offset_hours: 1,
        streets: &["Sendlinger Straße", "Kaufingerstraße"], number_first: false, currency: "EUR",
        phone: "+49 89 55501", given: DE_GIVEN, family: DE_FAMILY },
    IntlPlace { country: "GB", region: "England", city: "London", postal: "NW1 6XE", offset_hours: 0,
        streets: &["Baker Street", "Marylebone Road"], number_first: true, currency: "GBP",
        phone: "+44 20 7946 00", given: &["Oliver", "Amelia", "Harry", "Isla", "George"],
        family: &["Taylor", "Jones", "Williams", "Evans", "Roberts"] },
    IntlPlace { country: "JP", region: "東京都", city: "渋谷区", postal: "150-0041", offset_hours: 9,
        streets: &["神南1丁目", "宇田川町"], number_first: false, currency: "JPY",
        phone: "+81 3-5550-00", given: &["健太", "陽菜", "翔", "結衣", "美咲"],
        family: &["佐藤", "鈴木", "高橋", "田中", "伊藤"] },
    IntlPlace { country: "FR", region: "Île-de-France", city: "Paris", postal: "75001", offset_hours: 1,
        streets: &["rue de Rivoli", "rue Saint-Honoré"], number_first: true, currency: "EUR",
        phone: "+33 1 55 50 ", given: &["Louis", "Emma", "Gabriel", "Jade", "Hugo"],
        family: &["Martin", "Bernard", "Dubois", "Petit", "Robert"] },
];
