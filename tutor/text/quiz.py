"""The quiz's words in English and Chinese: questions, feedback, hints, score, progress,
review; the grading's feedback sentences."""

from __future__ import annotations

# words typed at the quiz's prompt, in either language: commands (not answers) and the
# answers to a true/false question
COMMAND_WORDS = {
    "hint": ("hint", "?", "提示"),
    "reveal": ("reveal", "答案"),
    "skip": ("skip", "跳过"),
    "quit": ("quit", "exit", "q", "退出"),
}
TRUE_WORDS = ("t", "true", "yes", "y", "对", "正确", "是")
FALSE_WORDS = ("f", "false", "no", "n", "错", "错误", "否")

# key -> (English, Chinese); `{name}` fields are filled by `messages.say`
QUIZ: dict[str, tuple[str, str]] = {
    # the quiz (tutor/quiz/view.py: questions, feedback, score, progress)
    "quiz_commands": (
        "Type an answer, or: hint (?), reveal, skip, quit.",
        "输入答案，或：hint (?) 提示、reveal 显示答案、skip 跳过、quit 退出。",
    ),
    "quiz_forward": (
        "forward",
        "前向",
    ),
    "quiz_loss": (
        "loss",
        "损失",
    ),
    "quiz_gradient": (
        "gradient",
        "梯度",
    ),
    "quiz_update": (
        "update",
        "更新",
    ),
    "quiz_hint": (
        "hint {i}/{n}",
        "提示 {i}/{n}",
    ),
    "quiz_no_hint": (
        "no more hints: type reveal to see the answer",
        "没有更多提示：输入 reveal 查看答案",
    ),
    "quiz_no_concept_hint": (
        "no hints for concept questions",
        "概念题没有提示",
    ),
    "quiz_revealed": (
        "the answer is {v} (not counted as solved)",
        "答案是 {v}（不计为答对）",
    ),
    "quiz_skipped": (
        "skipped",
        "已跳过",
    ),
    "quiz_score": (
        "Score: {s} / {n}",
        "得分：{s} / {n}",
    ),
    "quiz_question": (
        "question",
        "题目",
    ),
    "quiz_your_answer": (
        "your answer",
        "你的答案",
    ),
    "quiz_result": (
        "result",
        "结果",
    ),
    "quiz_answer": (
        "answer",
        "答案",
    ),
    "quiz_correct": (
        "correct",
        "答对",
    ),
    "quiz_carried": (
        "carried forward",
        "沿用前错（按你前一步的结果计分）",
    ),
    "quiz_wrong": (
        "wrong",
        "答错",
    ),
    "quiz_revealed_v": (
        "revealed",
        "已显示答案",
    ),
    "quiz_skipped_v": (
        "skipped",
        "已跳过",
    ),
    "quiz_unanswered": (
        "not answered",
        "未作答",
    ),
    "quiz_hidden_one": (
        "1 question not answered: its answer stays hidden",
        "1 题未作答：其答案不显示",
    ),
    "quiz_hidden": (
        "{n} questions not answered: their answers stay hidden",
        "{n} 题未作答：其答案不显示",
    ),
    "quiz_resume_with": (
        "continue where you stopped: {command} (add --reveal to see the answers instead)",
        "从中断处继续：{command}（加上 --reveal 则显示答案）",
    ),
    "quiz_reveal_with": (
        "run it again with --reveal to see the answers",
        "加上 --reveal 再运行一次即可看到答案",
    ),
    "quiz_choose": (
        "Type a letter, or: reveal, skip, quit.",
        "输入选项字母，或：reveal 显示答案、skip 跳过、quit 退出。",
    ),
    "quiz_right_option": (
        "correct: {x}",
        "选对了：{x}",
    ),
    "quiz_wrong_option": (
        "not this one: the answer is {x}",
        "答错了：正确答案是 {x}",
    ),
    "quiz_see_problem": (
        "see it with numbers: `bptutor solve {id}`",
        "用具体数字看一看：`bptutor solve {id}`",
    ),
    "quiz_problem": (
        "problem",
        "题目",
    ),
    "quiz_quantity": (
        "quantity",
        "所求量",
    ),
    "quiz_attempts": (
        "attempts",
        "作答次数",
    ),
    "quiz_accuracy": (
        "accuracy",
        "正确率",
    ),
    "quiz_last": (
        "last attempt",
        "最近一次",
    ),
    "quiz_review": (
        "Review next: {items}",
        "建议复习：{items}",
    ),
    "quiz_empty": (
        "no attempts recorded yet ({path})",
        "还没有作答记录（{path}）",
    ),
    "quiz_progress": (
        "Progress ({path})",
        "学习进度（{path}）",
    ),
    "quiz_variant": (
        "random variant, seed {seed} (repeat it with --seed {seed})",
        "随机变体，种子 {seed}（用 --seed {seed} 可重现）",
    ),
    "quiz_interrupted": (
        "interrupted: the answers you gave are saved",
        "已中断：已作答的内容都已保存",
    ),
    "quiz_after": (
        "after the {opt} step, η = {lr}",
        "{opt} 更新一步后，η = {lr}",
    ),
    "quiz_letters": (
        "can't read that: type one of {x}",
        "无法读取：请输入 {x} 之一",
    ),
    "quiz_delta": (
        "delta",
        "误差项",
    ),
    "quiz_factor": (
        "factor",
        "局部导数",
    ),
    "quiz_after_loss": (
        "loss after the update",
        "更新后的损失",
    ),
    # the parameter counts a problem asks for (`ask: [parameters]`, tutor/quiz/counting.py)
    "quiz_count": (
        "parameters",
        "参数量",
    ),
    "quiz_count_layer": (
        "How many parameters does the layer {layer} have?",
        "层 {layer} 有多少个参数？",
    ),
    "quiz_count_total": (
        "How many parameters does the network have in all?",
        "整个网络共有多少个参数？",
    ),
    "quiz_count_rule_conv": (
        "a weight per entry of each kernel and a bias per filter: f filters k×k over c "
        "channels have f·(k·k·c + 1)",
        "每个卷积核的每个元素是一个权重，每个卷积核再加一个偏置：f 个跨 c 个通道的 k×k 卷积核"
        "共有 f·(k·k·c + 1) 个",
    ),
    "quiz_count_rule_dense": (
        "a weight per entry of W and a bias per unit: n_out units over n_in inputs have "
        "(n_in + 1)·n_out",
        "W 的每个元素是一个权重，每个单元再加一个偏置：n_in 个输入、n_out 个单元共有 "
        "(n_in + 1)·n_out 个",
    ),
    "quiz_count_rule": (
        "one parameter per entry of each parameter the equation reads",
        "方程用到的每个参数，有几个元素就算几个参数",
    ),
    "quiz_count_rule_scalar": (
        "each parameter is one number: count the parameters the equation reads",
        "每个参数是一个数：数一数方程用到了几个参数",
    ),
    "quiz_count_rule_total": (
        "add up the layers' parameters, each parameter once (one several layers read counts once)",
        "把各层的参数加起来，每个参数只算一次（几层共用的参数只算一次）",
    ),
    "quiz_count_reads": (
        "{layer} reads {names}",
        "{layer} 用到 {names}",
    ),
    "quiz_guided": (
        "Guided: predict each step, then see its row. Type an answer (Enter alone: "
        "just show the row), or: hint (?), reveal, skip, quit.",
        "引导模式：先预测每一步，再看这一行的结果。输入答案（直接回车：只显示这一行），"
        "或：hint (?) 提示、reveal 显示答案、skip 跳过、quit 退出。",
    ),
    "quiz_retry_one": (
        "{why}; try again (1 more try)",
        "{why}；再试一次（还可以试 1 次）",
    ),
    "quiz_retry": (
        "{why}; try again ({n} more tries)",
        "{why}；再试一次（还可以试 {n} 次）",
    ),
    "quiz_scaffold": (
        "Let's take it factor by factor: {chain}",
        "我们把它拆成一个个因子来求：{chain}",
    ),
    "quiz_scaffold_head": (
        "step {i}/{n} of {of}",
        "{of} 的第 {i}/{n} 步",
    ),
    "quiz_product": (
        "now the product again",
        "现在再把它们乘起来",
    ),
    "quiz_kept": (
        "{x} = {v}: you found it before",
        "{x} = {v}：你前面已经求出",
    ),
    "quiz_after_hint": (
        "{new} is the loss with the updated parameters: run the forward pass again",
        "{new} 是用更新后的参数算出的损失：再做一次前向传播",
    ),
    "quiz_resumed": (
        "resumed: {n} answers kept",
        "已恢复：保留了 {n} 个答案",
    ),
    "quiz_row": (
        "shown, not counted",
        "只显示，不计分",
    ),
    "quiz_store_unusable": (
        "progress will not be saved ({path}: {reason})",
        "学习进度将不会保存（{path}：{reason}）",
    ),
    "quiz_store_unsaved": (
        "answers not saved: {n} could not be written to {path} ({reason})",
        "答案未保存：有 {n} 个答案无法写入 {path}（{reason}）",
    ),
    "quiz_store_skipped": (
        "progress: {n} unreadable rows in {path} left out: {rows} "
        "(bptutor progress --check lists them)",
        "学习进度：{path} 中有 {n} 行无法读取，已略过：{rows}"
        "（bptutor progress --check 会列出它们）",
    ),
    "quiz_store_rebuilt": (
        "progress: unreadable row in {path} rebuilt from the logged reviews: {rows}",
        "学习进度：{path} 中无法读取的行已根据复习记录重建：{rows}",
    ),
    "quiz_bad_row": (
        "{table} row {id}: {column} = {value}: not {rule}",
        "{table} 第 {id} 行：{column} = {value}：应为{rule}",
    ),
    "quiz_check_bad": (
        "{n} unreadable rows in {path}: left out of progress and review; a card "
        "is rebuilt from its reviews when the quiz next reviews its skill",
        "{path} 中有 {n} 行无法读取：学习进度和复习会略过它们；"
        "下次测验复习到对应技能时，卡片会根据复习记录重建",
    ),
    "quiz_check_clean": (
        "no unreadable rows in {path} ({counts})",
        "{path} 中没有无法读取的行（{counts}）",
    ),
    "quiz_count_rows": (
        "{table}: {n}",
        "{table}：{n}",
    ),
    "quiz_rule_text": (
        "text",
        "文本",
    ),
    "quiz_rule_text_or_null": (
        "text or nothing",
        "文本或空值",
    ),
    "quiz_rule_integer_or_null": (
        "a whole number or nothing",
        "整数或空值",
    ),
    "quiz_rule_time": (
        "a time (seconds since 1970)",
        "时间（1970 年起的秒数）",
    ),
    "quiz_rule_credit": (
        "a number from 0 to 1",
        "0 到 1 之间的数",
    ),
    "quiz_rule_stability": (
        "a positive number or nothing",
        "正数或空值",
    ),
    "quiz_rule_count": (
        "a whole number ≥ 0",
        "不小于 0 的整数",
    ),
    "quiz_rule_rating": (
        "a rating from 1 to 4",
        "1 到 4 的评分",
    ),
    "quiz_rule_card": (
        "an FSRS card (JSON)",
        "FSRS 卡片（JSON）",
    ),
    # the tensor quiz (tutor/quiz/matrix.py)
    "tensor_quiz_commands": (
        "Type an answer, or: hint (?), reveal, skip, quit. A column as "
        "[1, 2, 3], a row as [[1, 2, 3]], a matrix as [1, 2; 3, 4].",
        "输入答案，或：hint (?) 提示、reveal 显示答案、skip 跳过、quit 退出。"
        "列向量写作 [1, 2, 3]，行向量写作 [[1, 2, 3]]，矩阵写作 [1, 2; 3, 4]。",
    ),
    "tensor_quiz_activation": (
        "looks like ⊙ {f}′({z}) is left out (that is δ({a}), before the activation's derivative)",
        "看起来漏乘了 ⊙ {f}′({z})（这是 δ({a})，乘激活函数导数之前的值）",
    ),
    "tensor_quiz_w_not_wt": (
        "looks like {w} was used where {w}ᵀ is needed",
        "看起来在需要 {w}ᵀ 的地方用了 {w}",
    ),
    "tensor_quiz_f_for_fprime": (
        "looks like ⊙ {f}({z}) where ⊙ {f}′({z}) belongs (the activation, not its derivative)",
        "看起来在该乘 ⊙ {f}′({z}) 的地方乘了 ⊙ {f}({z})（激活函数本身，而不是它的导数）",
    ),
    "tensor_quiz_rate_left_out": (
        "the learning rate is left out: {w}′ = {w} − η ∂L/∂{w}",
        "漏乘了学习率：{w}′ = {w} − η ∂L/∂{w}",
    ),
    "tensor_quiz_step_sign": (
        "the step goes uphill: subtract η ∂L/∂{w}, do not add it",
        "更新方向反了：应减去 η ∂L/∂{w}，而不是加上",
    ),
    "tensor_quiz_scaffold": (
        "Let's take it step by step: {steps}",
        "我们一步一步来：{steps}",
    ),
    "tensor_quiz_scaffold_head": (
        "step {i}/{n} of {of}",
        "{of} 的第 {i}/{n} 步",
    ),
    "tensor_quiz_again": (
        "now {of} again",
        "现在再求 {of}",
    ),
    "tensor_quiz_kept": (
        "{x} = {v}: you found it before",
        "{x} = {v}：你前面已经求出",
    ),
    "tensor_quiz_with": (
        "with {values}",
        "其中 {values}",
    ),
    "tensor_quiz_update_rule": (
        "the {opt} step, η = {lr}",
        "{opt} 更新一步，η = {lr}",
    ),
    "tensor_quiz_left_out": (
        "{n} larger tensors (more than {m} numbers) are not asked",
        "有 {n} 个较大的张量（超过 {m} 个数）不提问",
    ),
    # review and skills (tutor/quiz/review_view.py)
    "review_skills": (
        "Skills (FSRS)",
        "技能掌握（FSRS）",
    ),
    "review_skill": (
        "skill",
        "技能",
    ),
    "review_attempts": (
        "attempts",
        "作答次数",
    ),
    "review_accuracy": (
        "accuracy",
        "正确率",
    ),
    "review_last": (
        "last results",
        "最近结果",
    ),
    "review_next": (
        "next",
        "下一步",
    ),
    "review_learning_in": (
        "learning: again in {t}",
        "学习中：{t}后再练",
    ),
    "review_relearning_in": (
        "relearning: again in {t}",
        "重新学习：{t}后再练",
    ),
    "review_review_in": (
        "review in {t}",
        "{t}后复习",
    ),
    "review_due_now": (
        "due now",
        "现在该复习",
    ),
    "review_minutes_one": (
        "1 minute",
        "1 分钟",
    ),
    "review_minutes": (
        "{n} minutes",
        "{n} 分钟",
    ),
    "review_hours_one": (
        "1 hour",
        "1 小时",
    ),
    "review_hours": (
        "{n} hours",
        "{n} 小时",
    ),
    "review_days_one": (
        "1 day",
        "1 天",
    ),
    "review_no_skill": (
        "--skill: no skill named '{name}' (the skills: {known})",
        "--skill：没有名为 '{name}' 的技能（技能有：{known}）",
    ),
    "review_now": (
        "now",
        "现在",
    ),
    "review_new": (
        "new",
        "新技能",
    ),
    "review_days": (
        "{n} days",
        "{n} 天",
    ),
    "review_history": (
        "History per day",
        "每日记录",
    ),
    "review_day": (
        "day",
        "日期",
    ),
    "review_questions": (
        "questions",
        "题数",
    ),
    "review_credit": (
        "credit",
        "得分",
    ),
    "review_problems": (
        "problems",
        "题目数",
    ),
    "review_part": (
        "Review {i}/{n}: {id}",
        "复习 {i}/{n}：{id}",
    ),
    "review_nothing": (
        "nothing to review now: next due {when}",
        "现在没有要复习的技能：下次复习 {when}",
    ),
    "review_start": (
        "Review: {n} questions on the skills due ({skills})",
        "复习：{n} 道题，练习到期的技能（{skills}）",
    ),
    "review_reset": (
        "removed {n} attempts{of} from {path}",
        "已从 {path} 删除 {n} 条作答记录{of}",
    ),
    "review_of": (
        " of {problem}",
        "（{problem}）",
    ),
    "review_no_questions": (
        "no problem has a question on the skills due",
        "没有题目练习到期的技能",
    ),
    "stopped": ("that is {name}: continue through {factor}", "这是 {name}：还要乘上 {factor}"),
    # grading's feedback (tutor/quiz/grading.py: numbers and formulas; matrix_grading.py: tensors)
    "grade_too_long": (
        "can't read that: answer too long ({n} characters, at most {most}): {shown}",
        "无法读取：答案太长（{n} 个字符，最多 {most} 个）：{shown}",
    ),
    "grade_figures_one": (
        "right to 1 significant figure; give at least {needed}",
        "只精确到 1 位有效数字；请至少给出 {needed} 位有效数字",
    ),
    "grade_figures": (
        "right to {given} significant figures; give at least {needed}",
        "只精确到 {given} 位有效数字；请至少给出 {needed} 位有效数字",
    ),
    "grade_figures_each_one": (
        "right to 1 significant figure; give at least {needed} in each entry",
        "只精确到 1 位有效数字；每个数请至少给出 {needed} 位有效数字",
    ),
    "grade_figures_each": (
        "right to {given} significant figures; give at least {needed} in each entry",
        "只精确到 {given} 位有效数字；每个数请至少给出 {needed} 位有效数字",
    ),
    "grade_points": (
        "can't check that: it has a real value at too few of the points tried; "
        "write it another way",
        "无法检查：它在所取的点上几乎都没有实数值；请换一种写法",
    ),
    "grade_right": ("correct: {shown}", "正确：{shown}"),
    "grade_answer_is": ("{why}; the answer is {shown}", "{why}；答案是 {shown}"),
    "grade_answer_block": ("{why}; the answer is{block}", "{why}；答案是{block}"),
    "grade_not_equivalent": ("not equivalent: the answer is {shown}", "不等价：答案是 {shown}"),
    "grade_not_quite": ("not quite", "不对"),
    "grade_not_quite_answer": ("not quite: the answer is {shown}", "不对：答案是 {shown}"),
    "grade_entry_off": (
        "not quite: 1 of {size} entries is off (the first at [{at}])",
        "不对：{size} 个数中有 1 个不对（第一个在 [{at}]）",
    ),
    "grade_entries_off": (
        "not quite: {n} of {size} entries are off (the first at [{at}])",
        "不对：{size} 个数中有 {n} 个不对（第一个在 [{at}]）",
    ),
    "grade_early": (
        "rounded too early to be used further: carry {shown} into later steps",
        "舍入过早，后面的步骤请用 {shown}",
    ),
    "grade_early_entries": (
        "rounded too early to be used further: carry more figures into later steps",
        "舍入过早，后面的步骤请多保留几位",
    ),
    "grade_carried_number": (
        "right method on your own earlier answers (error carried forward), half credit; "
        "the exact value is {shown}",
        "沿用前错（按你前一步的结果计分）：方法正确，得一半分；精确值为 {shown}",
    ),
    "grade_carried_tensor": (
        "right method on your own earlier answer (error carried forward), half credit; "
        "the exact value is {shown}",
        "沿用前错（按你前一步的结果计分）：方法正确，得一半分；精确值为 {shown}",
    ),
    "grade_carried_formula": (
        "right method on your own earlier formula (error carried forward), half credit; "
        "the answer is {shown}",
        "沿用前错（按你前一步的公式计分）：方法正确，得一半分；答案是 {shown}",
    ),
    "grade_with_shape": ("{why} ({shape})", "{why}（{shape}）"),
    # what a diagnosed mistake looks like, without the answer
    "looks_like": ("looks like {what}", "看起来{what}"),
    "mistake_sign": ("the sign is wrong", "符号反了"),
    "mistake_factor2": ("off by a factor of 2", "差了 2 倍"),
    "mistake_factor2-half": (
        "off by a factor of 2 (the ½ of a squared error?)",
        "差了 2 倍（平方误差前面的 ½？）",
    ),
    "mistake_activation": (
        "the activation's derivative is left out of the chain",
        "链式法则中漏乘了激活函数的导数",
    ),
    "mistake_activation-forward": (
        "that is the pre-activation value: apply the activation to it",
        "这是激活前的值：还要代入激活函数",
    ),
    "mistake_post-for-pre": (
        "the post-activation value was used where the pre-activation was needed",
        "在需要激活前的值的地方用了激活后的值",
    ),
    "mistake_pre-for-post": (
        "the pre-activation value was used where the post-activation was needed",
        "在需要激活后的值的地方用了激活前的值",
    ),
    "mistake_stopped": ("the chain stops one factor early", "链式法则少乘了一个因子"),
    "mistake_mean-left-out": ("the 1/N of the mean is left out", "漏掉了求平均的 1/N"),
    "mistake_activation-twice": (
        "the activation's derivative is multiplied in twice (∂L/∂z already holds it)",
        "激活函数的导数乘了两次（∂L/∂z 里已经包含它）",
    ),
    "mistake_f-for-fprime": (
        "the activation f(z) was used where its derivative f′(z) belongs",
        "在需要导数 f′(z) 的地方用了激活函数本身 f(z)",
    ),
    "mistake_wrong-wrt": (
        "the derivative is taken with respect to the other factor of the product "
        "(the input where the weight belongs, or the reverse)",
        "对乘积中的另一个因子求了导（该用权重的地方用了输入，或者反过来）",
    ),
    "mistake_classes-swapped": ("two classes (targets) are swapped", "两个类别（目标值）弄反了"),
    "mistake_step-sign": (
        "the step goes uphill: subtract η times the gradient, do not add it",
        "更新方向反了：应减去 η 乘梯度，而不是加上",
    ),
    "mistake_rate-left-out": (
        "the learning rate η is left out of the step",
        "更新时漏乘了学习率 η",
    ),
    "mistake_after-for-before": (
        "the gradient went back through parameters already updated (use the values before "
        "the update)",
        "反向传播时用了已经更新过的参数（应该用更新前的值）",
    ),
    "mistake_transposed": ("the result is transposed", "结果转置了"),
    "mistake_batch-sum": (
        "summed over the batch where the loss averages",
        "在损失求平均的地方对批次求了和",
    ),
    "mistake_batch-mean": (
        "averaged over the batch where the loss sums",
        "在损失求和的地方对批次求了平均",
    ),
    "mistake_shape": ("the shape is wrong", "形状不对"),
    "mistake_count-left-out": ("a parameter is left out of the count", "漏数了一个参数"),
    "mistake_count-shared": (
        "a parameter several layers share is counted once per layer",
        "几层共用的参数每层都算了一次",
    ),
    # ... of a parameter count (tutor/quiz/counting.py)
    "count_left_out": (
        "looks like {name} ({n}) is left out of the count",
        "看起来漏数了 {name}（{n} 个）",
    ),
    "count_shared": (
        "looks like {names} are counted once per layer that reads them: count each once",
        "看起来 {names} 在用到它们的每一层都算了一次：每个参数只算一次",
    ),
    "count_not_whole": ("a count is a whole number", "参数个数是整数"),
    # ... of a tensor answer ({e}/{g}: the shapes expected and given, {n}: the batch size)
    "tensor_mistake_transposed": ("looks transposed", "看起来转置了"),
    "tensor_mistake_shape": (
        "wrong shape: expected {e}, got {g}",
        "形状不对：应为 {e}，你给的是 {g}",
    ),
    "tensor_mistake_activation": (
        "looks like ⊙ f′(z) is left out (that is δ before the activation's derivative)",
        "看起来漏乘了 ⊙ f′(z)（这是乘激活函数导数之前的 δ）",
    ),
    "tensor_mistake_batch-sum": (
        "looks summed where the loss averages (off by a factor {n})",
        "看起来在损失求平均的地方求了和（差了 {n} 倍）",
    ),
    "tensor_mistake_sign": ("the sign is wrong", "符号反了"),
    # progress --class DIR: a folder of quiz reports summarised (tutor/quiz/classroom.py)
    "class_title": ("The class: quiz reports in {folder}", "全班：{folder} 中的测验报告"),
    "class_empty": ("no quiz reports (*.json) in {folder}", "{folder} 中没有测验报告（*.json）"),
    "class_problem": ("problem", "题目"),
    "class_quantity": ("quantity", "量"),
    "class_answered": ("answered", "作答人数"),
    "class_right_first": ("right first time", "一次答对"),
    "class_mistakes": ("most common mistakes", "最常见的错误"),
    "class_none": ("none named", "无"),
    "class_too_large": ("report too large (over {most} bytes)", "报告太大（超过 {most} 字节）"),
    "class_unreadable": ("cannot read the report: {why}", "无法读取报告：{why}"),
    "class_not_report": ("not a quiz report (quiz --report)", "不是测验报告（quiz --report）"),
    "class_not_folder": ("not a folder of quiz reports", "不是存放测验报告的文件夹"),
    "class_too_many": (
        "more than {most} reports in one folder",
        "一个文件夹中的报告超过 {most} 份",
    ),
    "tensor_mistake_batch-mean": (
        "looks averaged over the batch where the loss sums (off by a factor {n})",
        "看起来在损失求和的地方对批次求了平均（差了 {n} 倍）",
    ),
}
