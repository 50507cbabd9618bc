"""Label variants and typos of FORMAT.md §9 map to the right keys."""

from __future__ import annotations

import pytest

from govreports.parse import labels
from govreports.parse.normalize import to_key


@pytest.mark.parametrize(
    "label,row",
    [
        ("一、本年新收政府信息公开申请数量", "new"),
        ("（二）部分公开（区分处理的，只计这一情况，不计其他情形）", "partly_granted"),  # typo 情况
        ("(二) 部分公开(区分处理的, 只计这一情形, 不计其他情形)", "partly_granted"),  # half-width brackets
        ("（一）予以公开", "granted"),
        ("5.属于三类内容事务信息", "withheld_internal_affairs"),  # typo 内容
        ("5、属于三类内部事务信息", "withheld_internal_affairs"),  # 1、 for 1.
        ("6. 属于四类过程性信", "withheld_process_info"),  # PDF wrap cut the label
        ("3.危及“三安全一稳定”", "withheld_security_stability"),
        ("1.本机关不掌握相关 政府信息", "unavailable_not_held"),
        ("5.要求行政机关确认 或重新出具已获取信 息", "rejected_confirmation"),
        ("（六）其他处理", "other"),
        ("(六) 其他", "other"),  # sample 14
        ("3.其他", "other_misc"),
        ("③其他", "other_misc"),  # circled: NFKC makes it '3其他', no separator (h7's review)
        ("⑥其他处理", "other"),
        ("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "other_overdue_correction"),
        ("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "other_overdue_fee"),
        ("（七）总计", "total"),
        ("四、结转下年度继续办理", "carried_out"),
        ("三、本年度办理结果", None),
        ("（三）不予公开", None),
        ("結轉下年度繼續辦理", "carried_out"),  # traditional characters
    ],
)
def test_application_rows(label, row):
    assert labels.application_row(to_key(label)) == row


@pytest.mark.parametrize(
    "label,item",
    [
        ("规章", "rules"),
        ("规章(县级无此项)", "rules"),
        ("規章(設區的市、自治州人民政府應提供相關數據)", "rules"),
        ("行政规范性文件", "normative_documents"),
        ("規範性檔案(行政機關制定發布的決定…)", "normative_documents"),
        ("其他主動公開檔案(含以本單位…)", None),  # the 湖北 extra row is not 规范性文件
        ("其他对外管理服务事项(指行政许可证以外的政务服务事项…)", "other_services"),
        ("政府集中采购", "procurement"),
        ("信息内容", None),
    ],
)
def test_active_items(label, item):
    assert labels.active_item(to_key(label)) == item


@pytest.mark.parametrize(
    "label,measure",
    [
        ("本年新<br/>制作数量".replace("<br/>", " "), "made"),
        ("本年新 公开数量", "published"),
        ("对外公开总数量", "total"),
        ("上一年项目数量(指2019年事项数)", "prior_year_items"),
        ("本年增/减(指2020年增加或减少的事项数,减用负值表示,如-8)", "change"),
        ("本年数量", "change"),
        ("處理決定數量(指2020年辦件量)", "decisions"),
        ("本年处理决定数量", "decisions"),
        ("现行有效件数 (历史累计)", "in_force"),
        ("本年收费金额(单位:万元)", "amount_10k_yuan"),
        ("采购总金额", "amount"),
        ("本年新", None),  # truncated header (sample 17): unknown, defaults apply
    ],
)
def test_measures(label, measure):
    assert labels.measure(to_key(label)) == measure
