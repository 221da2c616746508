"""Every sentence the worked-solution views show, in English and Chinese, in one catalogue.

render (terminal), export (Markdown) and the quiz's hints read their words here; the engine
returns facts (`Note(kind, node, values)`, `Check.reason` keys) and this module words them.
Symbols and formulas (η, ∂L/∂w, λ·w) are the same in every language.
"""

from __future__ import annotations

from dataclasses import dataclass

from tutor.model import Text
from tutor.text.generated import GENERATED
from tutor.text.names import NAMES
from tutor.text.notation import fmt
from tutor.text.parsing import PARSING
from tutor.text.problems import PROBLEMS
from tutor.text.quiz import QUIZ

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
    "computation": ("Computation", "计算过程"),  # a problem that asks for no gradients
    "node": ("node", "节点"),
    "equation": ("equation", "公式"),
    "numbers": ("numbers substituted", "代入数值"),
    "symbolic": ("in the given names", "用已知量表示"),
    "loss": ("Loss", "损失"),
    "chains": ("Backward pass: chain rule", "反向传播：链式法则"),
    "deltas": (
        "Backward pass: the gradient δ = ∂L/∂node of every node, from the loss back",
        "反向传播：从损失往回，每个节点的梯度 δ = ∂L/∂节点",
    ),
    "chain": ("chain of factors", "因子连乘"),
    "simplified": ("simplified", "化简"),
    "delta": (
        "many paths: delta recurrence Σ_c ∂L/∂c · ∂c/∂{x} (c: the nodes {x} feeds)",
        "路径较多，改用 δ 递推：Σ_c ∂L/∂c·∂c/∂{x}（c 为 {x} 的后继节点）",
    ),
    "upstream": ("upstream", "上游梯度"),
    "local": ("local", "局部"),
    "gradients": ("Gradients", "梯度"),
    "gradient": ("gradient", "梯度"),
    "update": ("Update", "参数更新"),
    "update_rule": ("Update ({opt}, η = {lr})", "参数更新（{opt}，η = {lr}）"),
    "old": ("old", "原值"),
    "lr": ("η", "η"),
    "new": ("new", "新值"),
    "buffer": ("buffer", "动量缓冲"),
    "uncorrected": ("new w/o bias correction", "未修正新值"),
    "state": ("Optimizer state ({opt})", "优化器状态（{opt}）"),
    "moments": (
        "m: first-moment estimate, v: second-moment estimate (m̂, v̂: bias-corrected)",
        "m：一阶矩估计，v：二阶矩估计（m̂、v̂：偏差修正后）",
    ),
    "sgd_rule": ("new = old − η · gradient", "新值 = 原值 − η · 梯度"),
    "sgd_l2": ("new = old − η · (∂L/∂w + λ·w)", "新值 = 原值 − η · (∂L/∂w + λ·w)"),
    "after": ("Forward pass after the update", "更新后的前向传播"),
    "inactive_units": (
        "ReLU units inactive (output 0) after the step: {after} of {n}{where} ({before} before)",
        "更新后不激活（输出为 0）的 ReLU 单元：{where}{n} 个中有 {after} 个（更新前 {before} 个）",
    ),
    "inactive_trained": (
        "ReLU units inactive (output 0) after training: {after} of {n}{where} ({before} before)",
        "训练后不激活（输出为 0）的 ReLU 单元：{where}{n} 个中有 {after} 个（训练前 {before} 个）",
    ),
    "inactive_more_trained": (
        "; training switched {k} off, and no gradient reaches them until an input changes",
        "；训练关掉了 {k} 个，在输入改变之前梯度不再经过它们",
    ),
    "inactive_where": (" in {node}", "{node} 的 "),
    "unread_nodes": (
        "δ = 0 for the nodes the loss does not read, even through others: {names}",
        "损失（直接或经由其他节点）都不读取的节点，δ = 0：{names}",
    ),
    "inactive_more": (
        "; the step switched {k} off, and no gradient reaches them until an input changes",
        "；这一步关掉了 {k} 个，在输入改变之前梯度不再经过它们",
    ),
    # the parameter counts (tutor/solutions/counts.py; `ask: [parameters]`)
    "counts_title": ("Parameters of each layer", "各层的参数量"),
    "counts_layer": ("layer", "层"),
    "counts_reads": ("parameters it reads", "用到的参数"),
    "counts_count": ("count", "个数"),
    "counts_total": ("in all", "合计"),
    "counts_rule": (
        "a layer has one parameter per entry of each parameter it reads",
        "一层用到的每个参数，有几个元素就算几个参数",
    ),
    "counts_rule_scalar": (
        "each parameter is one number: a layer has as many as its equation reads",
        "每个参数是一个数：一层的参数量就是它的方程用到的参数个数",
    ),
    "counts_shared": (
        "{names} read by several layers: counted once in all",
        "{names} 被几层共用：合计时只算一次",
    ),
    "before_after": (
        "loss before {a} → after {b}: {verdict}",
        "损失：更新前 {a} → 更新后 {b}，{verdict}",
    ),
    "down": ("it went down", "已下降"),
    "up": ("it did not go down", "没有下降"),
    "notes": ("Notes", "说明"),
    "more": ("+{n} more", "另有 {n} 行"),
    "more_full": ("+{n} more (--full)", "另有 {n} 行（--full）"),
    "no_numbers": (
        "no numbers given: the answers are formulas in these names",
        "没有给出数值：答案是用这些名称写出的公式",
    ),
    "graph": ("Computation graph", "计算图"),
    "grad": ("grad", "梯度"),
    "shared": ("(shown above)", "（见上）"),
    "scalar": ("scalar", "标量"),  # a tensor node's shape when it has none (the loss)
    "step_prompt": (
        "[step {i}/{n}] Enter/space/→: next, b/←: back, q: quit ",
        "[第 {i}/{n} 步] 回车/空格/→：下一步，b/←：上一步，q：退出 ",
    ),
    "hidden_questions": (
        "{n} more questions need given values not shown here: quiz --full shows them all",
        "另有 {n} 道题需要此处未列出的已知数值：quiz --full 可显示全部",
    ),
    # the catalogue of problems
    "id": ("id", "编号"),
    "title": ("title", "题目"),
    "kind": ("kind", "类型"),
    "asked": ("asked", "所求"),
    "ask_forward": ("forward", "前向"),
    "ask_loss": ("loss", "损失"),
    "ask_gradients": ("gradients", "梯度"),
    "ask_update": ("update", "更新"),
    "ask_parameters": ("parameter counts", "参数量"),
    "all": ("Problems", "题目列表"),
    "answer_key": ("answer key", "答案"),
    "to_find": ("To work out", "求解"),
    "kind_backward-rule": ("backward-rule", "反向传播规则"),
    "kind_derivation": ("derivation", "推导"),
    "kind_least-squares": ("least-squares", "最小二乘"),
    "kind_linear-mse": ("linear-mse", "线性 + 均方误差"),
    "kind_logistic-regression": ("logistic-regression", "逻辑回归"),
    "kind_loss-cce": ("loss-cce", "交叉熵损失"),
    "kind_loss-mse": ("loss-mse", "均方误差损失"),
    "kind_operation-count": ("operation-count", "运算量"),
    "kind_parameter-count": ("parameter-count", "参数个数"),
    "kind_relu-mlp": ("relu-mlp", "ReLU 多层网络"),
    "kind_sigmoid-mlp": ("sigmoid-mlp", "Sigmoid 多层网络"),
    "kind_softmax-ce": ("softmax-ce", "Softmax + 交叉熵"),
    "kind_generated-mlp": ("generated-mlp", "生成的多层网络"),
    "source": ("Source", "出处"),
    # published answers: the values a file's `published:` block prints, from a seed or our own
    # reference computation (ex18-ex25: PyTorch), so 参考答案 in Chinese, not 原文 (the source)
    "errata": ("Errata", "勘误"),
    "errata_n": ("errata", "勘误"),
    "source_short": ("source: {p}", "出处：{p}"),
    "checks_ok": ("all {n} published values agree", "参考答案 {n} 个全部与计算一致"),
    "check_summary": (
        "{wrong} of {checked} published values disagree with the engine",
        "参考答案 {checked} 个数值中有 {wrong} 个与计算结果不符",
    ),
    "check_rounded": (
        "; rounded early: {n}, not counted (--strict counts them)",
        "；另有 {n} 个是过早舍入（不计入；--strict 时计入）",
    ),
    "rounded_early": (
        "≈ rounded early: what {basis} as printed gives; {why}",
        "≈ 过早舍入：按参考答案中的 {basis} 算出的结果；{why}",
    ),
    "follows": ("follows from the erratum {basis}; {why}", "由前面的勘误 {basis} 推出；{why}"),
    "errata_count": ("errata: {wrong} / {checked}", "勘误：{wrong} / {checked}"),
    "errata_rounded": (", ≈ {n} rounded early", "，≈ {n} 个过早舍入"),
    "line": ("line", "行"),
    "quantity": ("quantity", "变量"),
    "published": ("published", "参考答案"),
    "computed": ("computed", "计算值"),
    "why": ("why", "差值"),
    "differs": ("differs by {d}", "相差 {d}"),
    "differs_at": ("differs by {d} (most at {at})", "相差 {d}（最大处 {at}）"),
    "no_such": ("the engine computes no such quantity", "引擎不计算这个量"),
    "nan": ("not a number", "不是数值"),
    "not_equivalent": ("not equivalent", "不等价"),
    "unreadable": (
        "cannot read the published formula: {detail}",
        "无法读取参考答案中的公式：{detail}",
    ),
    # the tensor views (tutor/views/matrix.py: terminal; matrix_document.py: Markdown)
    "shape": ("shape", "形状"),
    "layers": ("Layers, as the course writes them", "逐层写法（与课程一致）"),
    "backward": (
        "Backward pass: δ = ∂L/∂node of every node from the loss back, then the gradients",
        "反向传播：从损失往回求每个节点的 δ = ∂L/∂节点，再求参数梯度",
    ),
    "course": ("as the course writes it", "课程写法"),
    "here": ("in this problem", "本题"),
    "loss_delta": ("the loss's own δ", "损失自身的 δ"),
    "fused": (
        "softmax followed by cross-entropy: the two rules combine into {rule}",
        "softmax 之后接交叉熵：两条规则合成 {rule}",
    ),
    "fused_sigmoid": (
        "σ followed by binary cross-entropy: the two rules combine into {rule}",
        "σ 之后接二元交叉熵：两条规则合成 {rule}",
    ),
    "shared_uses": (
        "{name} is used {n} times: its gradient is the sum of one term per use",
        "{name} 被用了 {n} 次，其梯度为各处贡献之和",
    ),
    "via": ("via {node}", "经由 {node}"),
    "sum": ("sum", "求和"),
    "errata_of": ("Errata: {id}", "勘误：{id}"),
    "channel": ("channel {c}", "通道 {c}"),
    "kernel": ("out {o}, in {i}", "输出 {o}，输入 {i}"),
    "batch": ("columns are the {n} samples of the batch", "每一列是批量中的一个样本（共 {n} 个）"),
    "at_title": ("One entry: {entry}, from the tensor rule", "单个元素：{entry}，由张量规则推出"),
    "index_form": (
        "the rule at any entry (indices counted from 0):",
        "任一元素的规则（下标从 0 起）：",
    ),
    "zeros": ("{n} more terms are 0: {why}", "另有 {n} 项为 0：{why}"),
    "zero": ("1 more term is 0: {why}", "另有 1 项为 0：{why}"),
    "pad": ("the input entry is in the zero padding", "输入元素落在补零区域"),
    "stride": (
        "the index falls between the entries the stride keeps",
        "下标落在步长跳过的位置",
    ),
    "outside": ("the index falls outside the map", "下标落在特征图之外"),
    "crop": ("past the rows and columns the stride reached", "超出步长覆盖到的行列"),
    "window": ("no pooling window starts there", "没有池化窗口从那里开始"),
    "notmax": ("not the largest entry of its window", "不是所在窗口中最大的元素"),
    "not_asked": ("this problem does not compute {key}", "本题不计算 {key}"),
    "more_lines": ("(further δ entries: see the tensor view)", "（其余 δ 元素见张量视图）"),
    "tensor_deltas": (
        "Backward pass: δ = ∂L/∂node of every node, from the loss back",
        "反向传播：从损失往回，每个节点的 δ = ∂L/∂节点",
    ),
    "deltas_note": (
        "δ of a node is the sum over the nodes that read it; Wᵀ carries δ back "
        "through a matrix product, ⊙ multiplies entry by entry, σ′(z) is the "
        "activation's derivative at z.",
        "节点的 δ 是读取它的各节点贡献之和；Wᵀ 把 δ 经矩阵乘法传回，⊙ 表示逐元素相乘，"
        "σ′(z) 是激活函数在 z 处的导数。",
    ),
    "through": ("through", "经由"),
    "param_gradients": ("Gradients of the parameters", "参数的梯度"),
    "input_gradients": ("Gradients of the inputs", "输入的梯度"),
    "optimizer_state": ("Optimizer state", "优化器状态"),
    "loss_sentence": (
        "Loss before {a} → after the update {b}: {verdict}.",
        "损失：更新前 {a} → 更新后 {b}，{verdict}。",
    ),
    "checks": ("Published answers", "公布的答案"),
    "checks_agree": (
        "✓ all {n} published answers agree with the computation.",
        "✓ 公布的 {n} 个答案都与计算结果一致。",
    ),
    "checks_bad": (
        "✗ {bad} of {n} published answers disagree with the computation.",
        "✗ 公布的 {n} 个答案中有 {bad} 个与计算结果不符。",
    ),
    "more_maps": (
        "… {n} more (export --full shows them)",
        "…… 另有 {n} 个（export --full 可全部显示）",
    ),
    "norms": ("Vanishing or exploding gradients: |δ| per layer", "梯度消失或爆炸：每层的 |δ|"),
    "norms_log": (
        "|δ| per layer, log scale ({low} to {high})",
        "每层的 |δ|，对数刻度（{low} 到 {high}）",
    ),
    "norms_note": (
        "|δ⁽ˡ⁾| is the length (Euclidean norm) of δ of layer l's pre-activation. One step "
        "down multiplies δ by Wᵀ and by f′(z), so it changes |δ| by a factor of at most "
        "‖Wᵀ‖ · max f′ (‖Wᵀ‖: the largest factor by which Wᵀ stretches a vector); the last "
        "column compares |δ| with the last layer's. σ′(z) ≤ 1/4, so a sigmoid chain with "
        "‖W‖ near 1 shrinks δ at every step (it vanishes); ReLU′ is 1 where the unit is "
        "active, so a ReLU chain multiplies δ by about ‖Wᵀ‖: above 1 it explodes, near 1 "
        "(weights scaled as Xavier or He propose) it stays near 1. The bars are on a log "
        "scale when the sizes span more than a factor 10.",
        "|δ⁽ˡ⁾| 是第 l 层激活前的值的 δ 的长度（欧几里得范数）。每往下一层，δ 都要乘以 Wᵀ 和 "
        "f′(z)，所以 |δ| 最多变为原来的 ‖Wᵀ‖ · max f′ 倍（‖Wᵀ‖：Wᵀ 把向量拉长的最大倍数）；"
        "最后一列与最后一层的 |δ| 相比。σ′(z) ≤ 1/4，所以 ‖W‖ 接近 1 的 sigmoid 链每一层都使 "
        "δ 变小（梯度消失）；ReLU 在激活的单元处导数为 1，所以 ReLU 链每层把 δ 乘以约 ‖Wᵀ‖："
        "大于 1 就会爆炸，接近 1（按 Xavier 或 He 的建议缩放权重）就保持在 1 附近。"
        "当各层大小相差超过 10 倍时，条形用对数刻度。",
    ),
    "factor": ("× per step down", "每下一层的倍数"),
    "weight_norm": ("‖Wᵀ‖ above", "上一层 ‖Wᵀ‖"),
    "layer": ("layer", "层"),
    "norm": ("|δ|", "|δ|"),
    "relative": ("÷ last layer", "÷ 最后一层"),
    "bar": ("bar", "条形"),
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
    "optimizer_step": (
        "{new} = one {opt} step from {name} = {old} with {grad} = {g}",
        "{new} = 从 {name} = {old} 出发、用 {grad} = {g} 做一步 {opt} 更新",
    ),
    # skills (tutor/skills.py): a function's derivative is named from the function registry
    "skill_derivative": ("{f} derivative", "{f} 的导数"),
    "skill_linear-dw": ("linear node ∂z/∂w", "线性节点 ∂z/∂w"),
    "skill_linear-dx": ("linear node ∂z/∂x", "线性节点 ∂z/∂x"),
    "skill_mse'": ("squared error ∂L/∂ŷ", "平方误差 ∂L/∂ŷ"),
    "skill_bce'": ("binary cross-entropy ∂L/∂ŷ", "二元交叉熵 ∂L/∂ŷ"),
    "skill_ce'": ("cross-entropy ∂L/∂ŷ", "交叉熵 ∂L/∂ŷ"),
    "skill_softmax-ce": ("softmax + cross-entropy", "softmax + 交叉熵"),
    "skill_sum-paths": ("sum over paths", "多条路径求和"),
    "skill_power'": ("product, power, quotient rules", "乘积、幂、商的求导法则"),
    "skill_sgd": ("SGD step", "SGD 更新"),
    "skill_momentum": ("momentum step", "动量法更新"),
    "skill_rmsprop": ("RMSProp step", "RMSProp 更新"),
    "skill_adam-moments": ("Adam moments m, v", "Adam 的矩估计 m、v"),
    "skill_adam-bias": ("Adam bias correction", "Adam 偏差修正"),
    "skill_l2": ("L2 weight decay", "L2 权重衰减"),
    "skill_matmul": ("matrix product", "矩阵乘积"),
    "skill_transpose": ("transpose in a backward rule", "反向规则中的转置"),
    "skill_batch-sum": ("sum over the batch", "对批次求和"),
    "skill_conv": ("convolution", "卷积"),
    "skill_pool-routing": ("pooling routing", "池化的梯度分配"),
    "skill_batchnorm-paths": ("BatchNorm's three paths", "批量归一化的三条路径"),
    "skill_shared-sum": ("shared weight: sum over time", "共享权重：对各时间步求和"),
    "skill_param-count": ("parameter count", "参数量"),
    # the tensor quiz (tutor/quiz/matrix.py, matrix_formulas.py)
    "quiz_formula_names": (
        "You may also answer with a formula in the problem's names (as in "
        "transpose(W) @ d): it is graded by its value.",
        "也可以用题目中的名称写公式作答（例如 transpose(W) @ d），按其数值评分。",
    ),
    "quiz_guided_enter": (
        "Enter alone shows the step (not counted).",
        "直接按回车显示这一步（不计分）。",
    ),
    "quiz_by_entries": (
        "{n} tensors of more than {m} numbers are asked a few entries at a time.",
        "有 {n} 个超过 {m} 个数的张量，每次只问其中几个元素。",
    ),
    "quiz_formula_shapes": (
        "can't use that formula: the shapes do not fit in {op} ({shapes})",
        "无法使用这个公式：{op} 中的形状不匹配（{shapes}）",
    ),
    "quiz_formula_grad": (
        "can't use that formula: {x} is not known at this step",
        "无法使用这个公式：这一步还不知道 {x}",
    ),
    "quiz_formula_undefined": (
        "can't use that formula: its value is not a finite number",
        "无法使用这个公式：它的值不是有限的数",
    ),
    # the playground (tutor/playground.py and its command)
    "pg_data": ("data", "数据"),
    "pg_points": ("{name}, {n} points", "{name}，{n} 个点"),
    "pg_noise": (", noise {noise}", "，噪声 {noise}"),
    "pg_network": ("network", "网络"),
    "pg_training": ("training", "训练"),
    "pg_rule": ("{opt}, η {lr}, batch {batch}", "{opt}，η {lr}，批大小 {batch}"),
    "pg_step": ("steps", "步数"),
    "pg_train_loss": ("train loss", "训练损失"),
    "pg_test_loss": ("test loss", "测试损失"),
    "pg_train_accuracy": ("train accuracy", "训练准确率"),
    "pg_test_accuracy": ("test accuracy", "测试准确率"),
    "pg_speed": ("samples/s", "样本/秒"),
    "pg_legend_regression": ("● train  ○ test", "● 训练  ○ 测试"),
    "pg_legend_plain2": (
        "●/× train (class 1/0)  ○/+ test  · predicted class 1",
        "●/× 训练（类 1/0）  ○/+ 测试  · 预测为类 1",
    ),
    "pg_legend_plain": (
        "digits: a point's class; shading: the predicted class",
        "数字：样本的类别；底纹：预测的类别",
    ),
    "pg_legend2": (
        "● train  ○ test; blue = class 1, orange = class 0",
        "● 训练  ○ 测试；蓝 = 类 1，橙 = 类 0",
    ),
    "pg_legend": ("● train  ○ test; one colour per class", "● 训练  ○ 测试；颜色 = 类别"),
    "pg_curves": ("loss: train (line), test (dots)", "损失：训练（实线），测试（点）"),
    "pg_steps_axis": ("steps", "步数"),
    "pg_finished": (
        "{steps} steps on {data}: test accuracy {test} (train {train}).",
        "在 {data} 上训练了 {steps} 步：测试准确率 {test}（训练准确率 {train}）。",
    ),
    "pg_finished_regression": (
        "{steps} steps on {data}: test loss {test} (train {train}).",
        "在 {data} 上训练了 {steps} 步：测试损失 {test}（训练损失 {train}）。",
    ),
    "pg_diverged": (
        "the loss stopped being finite after step {step}; try a smaller --lr",
        "第 {step} 步之后损失不再是有限值；请试试更小的 --lr",
    ),
    "pg_interrupted": ("interrupted after {n} steps", "训练了 {n} 步后中断"),
    "pg_interrupted_one": ("interrupted after one step", "训练了 1 步后中断"),
    "pg_wrote": ("wrote {file}", "已写入 {file}"),
    # `train` (a word per plural: {pl} is "s" or "")
    "train_what": (
        "{steps} {opt} step{pl}, η0 = {lr}, schedule {schedule}",
        "{opt} {steps} 步，η0 = {lr}，学习率调度 {schedule}",
    ),
    "train_head": ("{id}: {n} parameter{pl}, {what}", "{id}：{n} 个参数，{what}"),
    "train_csv_head": (
        "{id}: {n} sample{pl} from {file}, batches of {batch}, {what}",
        "{id}：来自 {file} 的 {n} 个样本，批大小 {batch}，{what}",
    ),
    "train_l2": (
        "L2: each step uses dL/dw + λw; the loss column leaves out the penalty λ/2·Σw²",
        "L2：每一步用 dL/dw + λw；损失一列不含惩罚项 λ/2·Σw²",
    ),
    "train_loss": ("loss {a} → {b}", "损失 {a} → {b}"),
    "train_loss_all": ("loss over all samples {a} → {b}", "全部样本上的损失 {a} → {b}"),
    "train_accuracy": (", accuracy {p} %", "，准确率 {p} %"),
    "train_table": ("Loss during training", "训练中的损失"),
    "train_batch_table": ("Batch loss during training", "训练中的批损失"),
    "train_step": ("step", "步"),
    "train_loss_column": ("loss", "损失"),
    "train_loss_no_l2": ("loss (no L2 term)", "损失（不含 L2 项）"),
    "train_end": ("end", "结束"),
    "pg_dead": (
        "ReLU units of hidden layer {layer} inactive (output 0) on every training point: "
        "{after} of {n} ({before} before training)",
        "隐藏层 {layer} 中在每个训练点上都不激活（输出为 0）的 ReLU 单元：{n} 个中有 {after} 个"
        "（训练前 {before} 个）",
    ),
    "schedule_curve": ("{name} schedule", "{name} 学习率调度"),
    # the code cache (tutor/engine/codegen.py) refused a folder or an entry
    "cache_refused": (
        "note: the code cache was not used: {path} {why} (only your own private files are "
        "trusted; remove it and it is made again)",
        "注意：本次没有使用代码缓存：{path} {why}（只信任你自己的私有文件；删除它，下次会重新生成）",
    ),
    "cache_owner": ("belongs to another user", "属于另一个用户"),
    "cache_writable": ("can be written by other users", "其他用户也可以写入"),
    "cache_kind": (
        "is not a plain file or folder (a link?)",
        "不是普通文件或文件夹（是链接？）",
    ),
    # the standard streams and signals (tutor/streams.py, the CLI's entry)
    "stdin": ("standard input", "标准输入"),
    "no_answers_closed": (
        "no answers: standard input is closed (type them at the prompt, or give --answers FILE)",
        "没有答案：标准输入已关闭（请在提示处输入，或用 --answers FILE 给出）",
    ),
    "no_answers_ended": (
        "no answers: {source} ended before the first answer",
        "没有答案：{source}在第一个答案之前就结束了",
    ),
    "output_closed": (
        "cannot write the output: standard output is closed",
        "无法输出：标准输出已关闭",
    ),
    "cannot_write": ("cannot write {path}: {why}", "无法写入 {path}：{why}"),
    "output_lost": ("cannot write the output: {why}", "无法输出：{why}"),
    "ascii_note": (
        "note: the output's encoding ({encoding}) cannot show every character: symbols are "
        "written in ASCII (sigma, delta, d for the partial sign); set PYTHONIOENCODING=utf-8 "
        "to see them",
        "注意：输出编码（{encoding}）无法显示全部字符，符号已改写为 ASCII（sigma、delta，"
        "偏导符号写作 d）；设置 PYTHONIOENCODING=utf-8 即可正常显示",
    ),
    "export_interrupted_kept": (
        "interrupted: nothing exported; {folder} is as it was",
        "已中断：没有导出任何文件；{folder} 保持原样",
    ),
    "export_interrupted_none": (
        "interrupted: nothing exported; no folder {folder} was made",
        "已中断：没有导出任何文件，也没有创建文件夹 {folder}",
    ),
    "export_no_folder": (
        "cannot make the folder {folder}: {why}",
        "无法创建文件夹 {folder}：{why}",
    ),
    "export_not_folder": (
        "cannot make the folder {folder}: {path} is not a folder",
        "无法创建文件夹 {folder}：{path} 不是文件夹",
    ),
}


_TOPICS = (PARSING, PROBLEMS, QUIZ, NAMES, GENERATED)
for _topic in _TOPICS:
    assert not MESSAGES.keys() & _topic.keys(), MESSAGES.keys() & _topic.keys()
    MESSAGES.update(_topic)


@dataclass(frozen=True)
class Message:
    """A sentence not yet worded: a catalogue key and its fields."""

    key: str
    fields: tuple = ()  # (name, value) pairs; a dict is accepted and kept as pairs; a value
    # may be a Message or a Text, worded in the same language

    def __post_init__(self):
        if isinstance(self.fields, dict):
            object.__setattr__(self, "fields", tuple(self.fields.items()))

    def say(self, lang: str) -> str:
        return say(lang, self.key, **dict(self.fields))


def say(lang: str, key: str, **fields) -> str:
    """The message `key` in `lang` (English for any other language), its fields filled."""
    en, zh = MESSAGES[key]
    shown = {k: _worded(v, lang) for k, v in fields.items()}
    return (zh if lang == "zh" else en).format(**shown)


def _worded(value, lang: str):
    """A field as shown: a Message or a Text in `lang`, anything else as it is."""
    if isinstance(value, Message):
        return value.say(lang)
    if isinstance(value, Text):
        return value.get(lang)
    return value


def words(key: str, **fields) -> dict[str, str]:
    """The message `key` as keyword arguments `en=..., zh=...` (a registry entry's names)."""
    return {lang: say(lang, key, **fields) for lang in LANGS}


def both(key: str, **fields) -> Text:
    """The message `key` in English and in Chinese."""
    return Text(say("en", key, **fields), say("zh", key, **fields))


# punctuation between the parts of a sentence: (English, Chinese)
SEPARATORS = {
    "colon": (": ", "："),
    "semicolon": ("; ", "；"),
    "comma": (", ", "，"),
    "and": (" and ", "与"),
}


def separator(kind: str, lang: str) -> str:
    """`; ` between clauses, but `；` in Chinese (`kind`: colon, semicolon, comma, and)."""
    en, zh = SEPARATORS[kind]
    return zh if lang == "zh" else en


def colon(lang: str) -> str:
    """`Loss: `, but `损失：` in Chinese."""
    return separator("colon", lang)


def listed(items, lang: str) -> str:
    """`forward, loss, gradients`, but `前向、损失、梯度` in Chinese."""
    return ("、" if lang == "zh" else ", ").join(items)


def kind(name: str, lang: str) -> str:
    """A problem's kind as the catalogue lists it (a kind of a teacher's own stays as written)."""
    key = f"kind_{name}"
    return say(lang, key) if key in MESSAGES else name


def optimizer(name: str, lang: str) -> str:
    """sgd, adam... as written in English text; SGD, Adam... in Chinese."""
    if lang != "zh":
        return name
    return {"sgd": "SGD", "momentum": "Momentum", "rmsprop": "RMSProp", "adam": "Adam"}.get(
        name, name
    )


def forward_title(problem, lang: str, after: bool = False) -> str:
    """`Forward pass`, or `Computation` (计算过程) for a problem that asks for no gradients."""
    if after:
        return say(lang, "after")
    return say(lang, "forward" if "gradients" in problem.asks else "computation")


def update_title(problem, updates, lang: str) -> str:
    """`Update (sgd, η = 0.1)`, `参数更新（SGD，η = 0.1）`."""
    rule = problem.update
    if not updates:
        return say(lang, "update")
    return say(
        lang,
        "update_rule",
        opt=optimizer(rule.optimizer if rule else "sgd", lang),
        lr=fmt(updates[0].lr),
    )


def state_heading(key: str, lang: str) -> str:
    """An optimizer-state column: its symbol (m, v, m̂...) or its name (buffer)."""
    symbols = {"l2_term": "λ·w", "g": "∂L/∂w + λ·w", "m": "m", "v": "v", "m_hat": "m̂", "v_hat": "v̂"}
    return symbols.get(key) or say(lang, key)


def asked(what: str, lang: str) -> str:
    """What a problem asks, as the catalogue says it: `gradients`, or 梯度 in Chinese."""
    key = f"ask_{what}"
    return say(lang, key) if key in MESSAGES else what


def reason(check, lang: str) -> str:
    """Why a published value disagrees (a `Check`), numbers as in the tables; an early
    rounding or an erratum that follows from another says so, with the numbers it came from."""
    if check.reason == "differs":
        why = say(lang, "differs", d=fmt(check.difference, 3))
    elif check.reason == "differs_at":  # a tensor: its largest gap, at a 1-based index
        why = say(lang, "differs_at", d=fmt(check.difference, 3), at=check.detail)
    elif check.reason == "unreadable":
        why = say(lang, "unreadable", detail=check.detail)
    else:
        why = say(lang, check.reason) if check.reason in MESSAGES else check.reason
    if check.kind in ("rounded", "follows"):
        basis = ", ".join(f"{q.text} = {text}" for q, text in check.basis)
        return say(
            lang, "rounded_early" if check.kind == "rounded" else "follows", basis=basis, why=why
        )
    return why


def note(n, lang: str) -> str:
    """An engine note (`Note(kind, node, values)`) as a sentence; numbers through `fmt`."""
    shown = {k: fmt(v) if isinstance(v, float) else v for k, v in n.values.items()}
    if n.kind == "adam_bias_correction":
        shown["column"] = say(lang, "uncorrected")
    return say(lang, n.kind, node=n.node, **shown)
