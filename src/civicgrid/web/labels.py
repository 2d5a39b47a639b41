"""Message ids of the label tables other packages keep as plain dicts (states, actions, roles,
risk colours, evaluation levels): pages translate a label at render time with ``_(label)``, and
this module puts every such label in the catalog (Babel extracts ``N_`` calls). A test checks it
lists exactly the labels of those tables, so a label added there without a line here fails.
"""

from __future__ import annotations


def N_(message: str) -> str:
    return message


STATE_MSGIDS = (
    N_("已上报"), N_("已分流"), N_("已派单"), N_("已签收"), N_("处置中"), N_("已挂起"),
    N_("调解中"), N_("已退单"), N_("已答复"), N_("已重办"), N_("已办结"), N_("已考核"),
    N_("已驳回"), N_("已合并"), N_("引导自治"),
)  # fmt: skip
ACTION_MSGIDS = (
    N_("分流"), N_("驳回"), N_("合并"), N_("引导自治"), N_("派单"), N_("签收"), N_("退单"),
    N_("改派"), N_("开始处置"), N_("挂起"), N_("恢复"), N_("开始调解"), N_("达成调解协议"),
    N_("诉调对接"), N_("答复"), N_("确认办结"), N_("不满意重办"), N_("办结"), N_("考核"),
    N_("吹哨"),
)  # fmt: skip
ROLE_MSGIDS = (
    N_("居民"), N_("网格员"), N_("12345 话务员"), N_("调度员"), N_("职能部门"), N_("领导"),
    N_("评估·审计"), N_("管理员"), N_("物联感知接入"),
)  # fmt: skip
COLOUR_MSGIDS = (N_("红"), N_("橙"), N_("黄"), N_("蓝"), N_("绿"))
EVALUATION_LEVEL_MSGIDS = (N_("网格员"), N_("网格"), N_("社区"), N_("街道"), N_("职能部门"))
ORG_LEVEL_MSGIDS = (
    N_("市"), N_("区县"), N_("街道"), N_("社区"), N_("网格"), N_("微网格"), N_("楼栋"),
)  # fmt: skip
SATISFACTION_MSGIDS = (N_("满意"), N_("基本满意"), N_("不满意"))
