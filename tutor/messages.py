"""Every sentence the worked-solution views show, in English and Chinese, in one catalogue.

render (terminal), export (Markdown) and the quiz's hints read their words here; the engine
returns facts (`Note(kind, node, values)`, `Check.reason` keys) and this module words them.
Symbols and formulas (η, ∂L/∂w, λ·w) are the same in every language.
"""

from __future__ import annotations

from .notation import fmt

LANGS = ("en", "zh")

# key -> (English, Chinese); `{name}` fields are filled by `say`
MESSAGES: dict[str, tuple[str, str]] = {
    # sections and table headings
    "given": ("Given", "已知"),
    "name": ("name", "名称"),
    "value": ("value", "数值"),
    "role": ("role", "类别"),
    "input": ("input", "输入"),
    "target": ("target", "目标"),
    "param": ("parameter", "参数"),
    "constant": ("constant", "常数"),
    "forward": ("Forward pass", "前向传播"),
    "node": ("node", "节点"),
    "equation": ("equation", "公式"),
    "numbers": ("numbers substituted", "代入数值"),
    "symbolic": ("in the given names", "用已知量表示"),
    "loss": ("Loss", "损失"),
    "chains": ("Backward pass: chain rule", "反向传播：链式法则"),
    "deltas": ("Backward pass: the gradient δ = ∂L/∂node of every node, from the loss back",
               "反向传播：从损失往回，每个节点的梯度 δ = ∂L/∂节点"),
    "chain": ("chain of factors", "因子连乘"),
    "simplified": ("simplified", "化简"),
    "delta": ("many paths: delta recurrence ∂L/∂c · ∂c/∂{x}", "路径较多：用 δ 递推 ∂L/∂c · ∂c/∂{x}"),
    "upstream": ("upstream", "上游"),
    "local": ("local", "局部"),
    "gradients": ("Gradients", "梯度"),
    "gradient": ("gradient", "梯度"),
    "update": ("Update", "参数更新"),
    "old": ("old", "原值"),
    "lr": ("η", "η"),
    "new": ("new", "新值"),
    "buffer": ("buffer", "动量缓冲"),
    "uncorrected": ("new w/o bias correction", "未修正新值"),
    "state": ("Optimizer state ({opt})", "优化器状态（{opt}）"),
    "sgd_rule": ("new = old − η · gradient", "新值 = 原值 − η · 梯度"),
    "sgd_l2": ("new = old − η · (∂L/∂w + λ·w)", "新值 = 原值 − η · (∂L/∂w + λ·w)"),
    "after": ("Forward pass after the update", "更新后的前向传播"),
    "before_after": ("loss before {a} → after {b}: {verdict}", "损失 更新前 {a} → 更新后 {b}：{verdict}"),
    "down": ("it went down", "下降了"),
    "up": ("it did not go down", "没有下降"),
    "notes": ("Notes", "说明"),
    "more": ("+{n} more", "另有 {n} 行"),
    "more_full": ("+{n} more (--full)", "另有 {n} 行（--full）"),
    "no_numbers": ("no numbers given: the answers are formulas in these names",
                   "没有给出数值：答案是用这些名称写出的公式"),
    "graph": ("Computation graph", "计算图"),
    "grad": ("grad", "梯度"),
    "shared": ("(shown above)", "（见上）"),
    "step_prompt": ("[step {i}/{n}] Enter: next, q: quit ", "[第 {i}/{n} 步] 回车：下一步，q：退出 "),
    # the catalogue of problems
    "id": ("id", "编号"),
    "title": ("title", "题目"),
    "kind": ("kind", "类型"),
    "asked": ("asked", "所求"),
    "ask_forward": ("forward", "前向"),
    "ask_loss": ("loss", "损失"),
    "ask_gradients": ("gradients", "梯度"),
    "ask_update": ("update", "更新"),
    "all": ("Problems", "题目列表"),
    "source": ("Source", "出处"),
    # published answers
    "errata": ("Errata", "勘误"),
    "errata_n": ("errata", "勘误"),
    "source_short": ("source: {p}", "原文：{p}"),
    "checks_ok": ("all {n} published values agree", "原文 {n} 个数值全部正确"),
    "check_summary": ("{wrong} of {checked} published values disagree with the engine",
                      "原文 {checked} 个数值中有 {wrong} 个与计算结果不符"),
    "line": ("line", "行"),
    "quantity": ("quantity", "量"),
    "published": ("published", "原文"),
    "computed": ("computed", "计算值"),
    "why": ("why", "原因"),
    "differs": ("differs by {d}", "相差 {d}"),
    "no_such": ("the engine computes no such quantity", "引擎不计算这个量"),
    "nan": ("not a number", "不是数值"),
    "not_equivalent": ("not equivalent", "不等价"),
    "unreadable": ("cannot read the published formula: {detail}", "无法读取原文的公式：{detail}"),
    # the engine's notes (Note.kind)
    "relu_at_zero": (
        "{arg} = 0 exactly: ReLU'(0) is taken as 0, so no gradient flows back through {node}.",
        "{arg} 恰好为 0：约定 ReLU'(0) = 0，所以梯度不会经过 {node} 往回传。",
    ),
    "saturated_output": (
        "d{of}/d{wrt} is not finite here (a saturated output); the gradients are computed "
        "from the stable with-logits form instead.",
        "d{of}/d{wrt} 在这里不是有限值（输出已饱和）；梯度改用数值稳定的 logits 形式计算。",
    ),
    "adam_bias_correction": (
        "Adam divides m and v by the bias corrections 1 − β1^t and 1 − β2^t (t = 1: {c1} and "
        "{c2}). Without them the step would give {node}' = {without} instead of {new} (column "
        "'{column}').",
        "Adam 把 m 和 v 分别除以偏差修正 1 − β1^t 和 1 − β2^t（t = 1 时为 {c1} 和 {c2}）。"
        "不做修正，这一步会得到 {node}' = {without}，而不是 {new}。",
    ),
    # the quiz's hints (formulas around them are the same in every language)
    "accumulated": ("(accumulated)", "（累积梯度）"),
    "no_path": ("{grad} = 0: no path to the loss", "{grad} = 0：没有通往损失的路径"),
    "optimizer_step": ("{new} = one {opt} step from {name} = {old} with {grad} = {g}",
                       "{new} = 从 {name} = {old} 出发、用 {grad} = {g} 做一步 {opt} 更新"),
}  # fmt: skip


def say(lang: str, key: str, **fields) -> str:
    """The message `key` in `lang` (English for any other language), its fields filled."""
    en, zh = MESSAGES[key]
    return (zh if lang == "zh" else en).format(**fields)


def colon(lang: str) -> str:
    """`Loss: `, but `损失：` in Chinese."""
    return "：" if lang == "zh" else ": "


def asked(what: str, lang: str) -> str:
    """What a problem asks, as the catalogue says it: `gradients`, or 梯度 in Chinese."""
    key = f"ask_{what}"
    return say(lang, key) if key in MESSAGES else what


def reason(check, lang: str) -> str:
    """Why a published value disagrees (a `Check`), numbers as in the tables."""
    if check.reason == "differs":
        return say(lang, "differs", d=fmt(check.difference, 3))
    if check.reason == "unreadable":
        return say(lang, "unreadable", detail=check.detail)
    return say(lang, check.reason) if check.reason in MESSAGES else check.reason


def note(n, lang: str) -> str:
    """An engine note (`Note(kind, node, values)`) as a sentence; numbers through `fmt`."""
    shown = {k: fmt(v) if isinstance(v, float) else v for k, v in n.values.items()}
    if n.kind == "adam_bias_correction":
        shown["column"] = say(lang, "uncorrected")
    return say(lang, n.kind, node=n.node, **shown)
