//! The console's words in Simplified Chinese and English.
//!
//! One table holds both languages side by side, so a word cannot exist in one and be
//! missing in the other; a key not in the table shows as itself, and a test reads every
//! template to make sure none is missing.

/// A language the console speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Simplified Chinese.
    Zh,
    /// English.
    En,
}

impl Lang {
    /// From a user's setting; Chinese unless it says English.
    pub fn of(code: &str) -> Self {
        if code.eq_ignore_ascii_case("en") {
            Self::En
        } else {
            Self::Zh
        }
    }

    /// The BCP 47 tag, for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::Zh => "zh-CN",
            Self::En => "en",
        }
    }

    /// The word for `key`.
    pub fn t(self, key: &str) -> &str {
        for table in TABLES {
            if let Ok(i) = table.binary_search_by(|(k, _, _)| k.cmp(&key)) {
                return match self {
                    Self::En => table[i].1,
                    Self::Zh => table[i].2,
                };
            }
        }
        key
    }
}

/// `(key, English, Chinese)` rows, each table sorted by key.
pub type Words = &'static [(&'static str, &'static str, &'static str)];

/// Every table: the shared words here, and each screen's own next to its code. A key is
/// in one table only (a test checks).
pub const TABLES: &[Words] = &[
    WORDS,
    crate::screens::dashboard::WORDS,
    crate::screens::channels::WORDS,
    crate::screens::config::WORDS,
    crate::screens::inbox::WORDS,
    crate::screens::exceptions::WORDS,
    crate::screens::inventory::WORDS,
    crate::screens::aftersales::WORDS,
];

/// `(key, English, Chinese)`, sorted by key (a test checks).
#[rustfmt::skip]
pub const WORDS: Words = &[
    ("action", "Action", "操作"),
    ("actions", "Actions", "操作"),
    ("active", "Active", "启用"),
    ("add_user", "Add user", "添加用户"),
    ("address", "Address", "地址"),
    ("admin", "Admin", "管理员"),
    ("age", "Age", "时长"),
    ("alerts", "Alerts", "告警"),
    ("all", "All", "全部"),
    ("all_matching", "All matching", "全部匹配"),
    ("amount", "Amount", "金额"),
    ("apply", "Apply", "筛选"),
    ("approve", "Approve", "审核通过"),
    ("buyer", "Buyer", "买家"),
    ("buyer_search", "Buyer id, e-mail or phone", "买家ID、邮箱或手机"),
    ("cancel", "Cancel", "取消订单"),
    ("channel", "Channel", "渠道"),
    ("channels", "Channels", "渠道"),
    ("clear", "Clear", "清除"),
    ("configuration", "Configuration", "配置"),
    ("created", "Created", "创建时间"),
    ("csv_export", "Export CSV", "导出 CSV"),
    ("dashboard", "Dashboard", "仪表盘"),
    ("delete", "Delete", "删除"),
    ("disable", "Disable", "停用"),
    ("disabled", "Disabled", "已停用"),
    ("enable", "Enable", "启用"),
    ("error", "Error", "错误"),
    ("events", "Timeline", "时间线"),
    ("exceptions", "Exceptions", "审单"),
    ("external_id", "Channel order no.", "平台单号"),
    ("fee", "Fee", "费用"),
    ("first_page", "First page", "首页"),
    ("from", "From", "起始"),
    ("help", "Keyboard shortcuts", "快捷键"),
    ("hold", "Hold", "挂起"),
    ("inbox", "Inbox", "收件箱"),
    ("inventory", "Inventory", "库存"),
    ("items_subtotal", "Items", "商品金额"),
    ("language", "Language", "语言"),
    ("line_discounts", "Line discounts", "商品优惠"),
    ("lines", "Lines", "商品明细"),
    ("login", "Login", "登录名"),
    ("money", "Money", "金额明细"),
    ("name", "Name", "名称"),
    ("next_page", "Next page", "下一页"),
    ("no_address", "No shipping address: held until the channel releases it or it is edited in", "缺少收货地址：等待平台提供或人工补录"),
    ("no_orders", "No orders match.", "没有符合条件的订单。"),
    ("not_permitted", "Your role may not do this.", "您的角色无权执行此操作。"),
    ("nothing_ships", "Nothing to ship", "无需发货"),
    ("order", "Order", "订单"),
    ("order_discount", "Order discount", "订单优惠"),
    ("orders", "Orders", "订单"),
    ("outbox", "Outbox", "发件箱"),
    ("parcels", "Parcels", "包裹"),
    ("password", "Password", "密码"),
    ("phone", "Phone", "电话"),
    ("placed", "Placed", "下单时间"),
    ("price", "Price", "单价"),
    ("qty", "Qty", "数量"),
    ("raw_payload", "Raw payload", "原始报文"),
    ("reason", "Reason", "原因"),
    ("replay", "Replay", "重放"),
    ("rerun", "Re-run rules", "重新审单"),
    ("reserved", "Reserved", "已占用"),
    ("result", "Result", "结果"),
    ("role", "Role", "角色"),
    ("save", "Save", "保存"),
    ("save_view", "Save view", "保存视图"),
    ("saved_views", "Saved views", "已存视图"),
    ("search", "Search", "搜索"),
    ("selected", "Selected", "已选"),
    ("shipping_fee", "Shipping", "运费"),
    ("shortage", "Waiting for stock", "缺货等待"),
    ("sign_in", "Sign in", "登录"),
    ("sign_in_failed", "Login or password is wrong.", "登录名或密码错误。"),
    ("sign_out", "Sign out", "退出"),
    ("sku", "SKU", "SKU"),
    ("stated_total", "Channel total (differs)", "平台总额（不一致）"),
    ("status", "Status", "状态"),
    ("stock", "Stock", "库存占用"),
    ("tax", "Tax", "税费"),
    ("tip", "Tip", "小费"),
    ("to", "To", "截止"),
    ("total", "Total", "合计"),
    ("users", "Users", "用户"),
    ("view_name", "View name", "视图名称"),
    ("warehouse", "Warehouse", "仓库"),
    ("warehouses", "Warehouses", "仓库"),
    ("when", "When", "时间"),
    ("who", "Who", "操作人"),
];

/// Status names as people say them.
pub fn status_word(lang: Lang, status: &str) -> &str {
    const STATUS: &[(&str, &str, &str)] = &[
        ("allocated", "Allocated", "已配货"),
        ("cancelled", "Cancelled", "已取消"),
        ("completed", "Completed", "已完成"),
        ("delivered", "Delivered", "已签收"),
        ("in_transit", "In transit", "运输中"),
        ("on_hold", "On hold", "挂起"),
        ("packed", "Packed", "已打包"),
        ("paid", "Paid", "已付款"),
        ("pending_payment", "Pending payment", "待付款"),
        ("picking", "Picking", "拣货中"),
        ("refunded", "Refunded", "已退款"),
        ("return_requested", "Return requested", "申请退货"),
        ("returned", "Returned", "已退货"),
        ("sent_to_warehouse", "Sent to warehouse", "已推送仓库"),
        ("shipped", "Shipped", "已发货"),
    ];
    STATUS
        .iter()
        .find(|(k, _, _)| *k == status)
        .map_or(status, |(_, en, zh)| if lang == Lang::En { en } else { zh })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_every_template_word_is_in_it() {
        let mut keys = std::collections::BTreeSet::new();
        for table in TABLES {
            assert!(
                table.windows(2).all(|w| w[0].0 < w[1].0),
                "each table must stay sorted: {:?}",
                table[0]
            );
            for (key, _, _) in *table {
                assert!(keys.insert(*key), "{key:?} is in two tables");
            }
        }
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split("t(\"").skip(1) {
                let key = &piece[..piece.find('"').unwrap()];
                assert!(
                    keys.contains(key),
                    "{} uses {key:?}, which is in no table",
                    path.display()
                );
            }
        }
        assert_eq!(Lang::Zh.t("orders"), "订单");
        assert_eq!(Lang::En.t("orders"), "Orders");
    }
}
