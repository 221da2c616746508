"""Why a typed expression, number or tensor answer cannot be read, in English and Chinese.

The parsers (tutor/problems/expr.py, matrix_expr.py, numerals.py, the quiz's answer readers)
raise `ParseError(key, column, **fields)` with a key of this table; the sentence is made here,
in the reader's language, never translated from the English by pattern.
"""

from __future__ import annotations

# key -> (English, Chinese); `{name}` fields are filled by `messages.say`
PARSING: dict[str, tuple[str, str]] = {
    # an answer the quiz cannot read: why (a parse_* or answer_* message), where (at_column)
    "cant_read": ("can't read that: {why}{where}", "无法读取：{why}{where}"),
    "at_column": (" (column {column})", "（第 {column} 列）"),
    # what came instead of a missing ')' or ']' (the `found` field of the parse_missing_* keys)
    "parse_found_token": ("'{token}'", " '{token}'"),
    "parse_found_end": ("end of expression", "表达式结尾"),
    # expressions (tutor/problems/expr.py, matrix_expr.py)
    "parse_empty": ("empty expression", "没有输入内容"),
    "parse_empty_condition": ("empty condition", "没有输入条件"),
    "parse_not_text_expression": ("an expression must be text", "表达式必须是文本"),
    "parse_not_text_condition": ("a condition must be text", "条件必须是文本"),
    "parse_too_long_expression": (
        "expression too long ({n} characters, at most {most})",
        "表达式太长（{n} 个字符，最多 {most} 个）",
    ),
    "parse_too_long_condition": (
        "condition too long ({n} characters, at most {most})",
        "条件太长（{n} 个字符，最多 {most} 个）",
    ),
    "parse_failed_expression": (
        "cannot parse expression ({error})",
        "无法解析这个表达式（{error}）",
    ),
    "parse_failed_condition": ("cannot parse condition ({error})", "无法解析这个条件（{error}）"),
    "parse_nested": ("expression nested too deeply", "括号或嵌套层数太多"),
    "parse_character": ("unexpected character {char}", "无法识别的字符 {char}"),
    "parse_circumflex": (
        "a circumflex accent is only understood on y (ŷ)",
        "只有 y 上可以加尖帽（ŷ）",
    ),
    "parse_gradient_form": ("write a gradient as ∂L/∂name", "梯度请写成 ∂L/∂名称"),
    "parse_unmatched": ("unmatched ')'", "多余的 ')'：前面没有对应的 '('"),
    "parse_unexpected": ("unexpected '{token}'", "多余的 '{token}'"),
    "parse_end": ("unexpected end of expression", "表达式没有写完"),
    "parse_missing_operator": (
        "missing operator between '{before}' and '{after}'",
        "'{before}' 和 '{after}' 之间缺少运算符",
    ),
    "parse_missing_paren": (
        "missing ')' for the '(' at column {at}, found {found}",
        "第 {at} 列的 '(' 缺少对应的 ')'，却遇到{found}",
    ),
    "parse_missing_close": (
        "missing ')' to close {name}(, found {found}",
        "缺少 ')' 来结束 {name}(，却遇到{found}",
    ),
    "parse_missing_softmax_bracket": (
        "missing ']' after the softmax index, found {found}",
        "softmax 的下标后缺少 ']'，却遇到{found}",
    ),
    "parse_open_paren": (
        "missing ')' for the '(' at column {at}",
        "第 {at} 列的 '(' 缺少对应的 ')'",
    ),
    "parse_open_call": ("missing ')' to close {name}(", "缺少 ')' 来结束 {name}("),
    "parse_open_bracket": (
        "missing ']' for the '[' at column {at}",
        "第 {at} 列的 '[' 缺少对应的 ']'",
    ),
    "parse_undefined": (
        "the expression is undefined (division by zero?)",
        "表达式没有定义（是否除以零？）",
    ),
    "parse_condition_undefined": (
        "the condition is undefined (division by zero?)",
        "条件没有定义（是否除以零？）",
    ),
    "parse_comparisons": (
        "at most {n} comparisons in one condition",
        "一个条件中最多 {n} 个比较",
    ),
    "parse_nothing_to_compare": ("nothing to compare after '{op}'", "'{op}' 之后没有可比较的内容"),
    "parse_condition_sides": (
        "a condition compares two sides, e.g. z > 0 (with < <= > >= == !=)",
        "条件比较两边，例如 z > 0（可用 < <= > >= == !=）",
    ),
    "parse_condition_form": ("write a condition such as [z > 0]", "条件请写成 [z > 0] 这样"),
    "parse_division_by_zero": ("division by zero", "除以零"),
    "parse_root_too_large": (
        "cannot take roots of numbers this large (at most about {digits} digits)",
        "无法对这么大的数开方（最多约 {digits} 位）",
    ),
    "parse_superscripts": (
        "write other exponents with ^, e.g. x^23",
        "其他指数请用 ^ 写，例如 x^23",
    ),
    "parse_index_softmax": (
        "an index [k] can only follow softmax(...)",
        "下标 [k] 只能跟在 softmax(...) 后面",
    ),
    "parse_is_function": (
        "{name} is a function: write {name}({arg})",
        "{name} 是函数，请写成 {name}({arg})",
    ),
    "parse_unknown_function": ("unknown function '{name}'", "不认识的函数 '{name}'"),
    "parse_unknown_name": ("unknown name '{name}'", "不认识的名称 '{name}'"),
    "parse_arity_one": (
        "{name} takes 1 argument, got {got}",
        "{name} 需要 1 个参数，给了 {got} 个",
    ),
    "parse_arity": (
        "{name} takes {n} arguments, got {got}",
        "{name} 需要 {n} 个参数，给了 {got} 个",
    ),
    "parse_arity_range": (
        "{name} takes {low} to {high} arguments, got {got}",
        "{name} 需要 {low} 到 {high} 个参数，给了 {got} 个",
    ),
    "parse_arity_none": (
        "{name} takes at least 1 argument, got 0",
        "{name} 至少需要 1 个参数，给了 0 个",
    ),
    "parse_softmax_needs_index": (
        "softmax needs an index, e.g. softmax(a, b)[1]",
        "softmax 需要下标，例如 softmax(a, b)[1]",
    ),
    "parse_softmax_index_whole": (
        "a softmax index must be a whole number, e.g. [1]",
        "softmax 的下标必须是整数，例如 [1]",
    ),
    "parse_softmax_index_range": (
        "softmax index must be between 1 and {n}, got {got}",
        "softmax 的下标必须在 1 到 {n} 之间，给了 {got}",
    ),
    "parse_exponent_too_large": ("exponent too large (at most {most})", "指数太大（最多 {most}）"),
    "parse_number_too_large": (
        "number too large (at most about {digits} digits)",
        "数字太大（最多约 {digits} 位）",
    ),
    "parse_build": ("cannot build this expression", "无法构造这个表达式"),
    # tensor equations (tutor/problems/matrix_expr.py)
    "parse_tensor_exponent": (
        "in a tensor equation an exponent is a number, e.g. (a - y)^2",
        "张量方程中的指数必须是数，例如 (a - y)^2",
    ),
    "parse_tensor_index": (
        "tensor equations take no index: name the whole tensor",
        "张量方程不用下标：请写出整个张量的名称",
    ),
    "parse_delta_form": ("write δ(name) for the gradient of a node", "节点的梯度请写成 δ(名称)"),
    "parse_op_integers": (
        "{name}: an axis, window, stride or padding is a whole number from 0 to 64",
        "{name}：轴、窗口、步长和填充都是 0 到 64 的整数",
    ),
    "parse_chain": (
        "more than {n} operations inside one another (name a part of it as an equation of its own)",
        "嵌套的运算超过 {n} 层（请把其中一部分写成单独的方程）",
    ),
    # numbers (tutor/problems/numerals.py, the quiz's grading)
    "parse_number_too_long": (
        "number too long (at most {most} digits)",
        "数字太长（最多 {most} 位）",
    ),
    "parse_number_exponent": (
        "number exponent too large (at most e±{most})",
        "数字的指数太大（最多 e±{most}）",
    ),
    "parse_number_unevaluable": ("cannot evaluate this number", "无法计算这个数"),
    "parse_not_real": ("that is not a real number", "这不是实数"),
    "parse_not_finite": ("that number is not finite", "这个数不是有限值"),
    "parse_past_floats": (
        "a number in it is too large to compute with (past 1.8e308)",
        "其中有一个数大得无法计算（超过 1.8e308）",
    ),
    # typed tensor answers (tutor/quiz/answers.py)
    "answer_empty": ("empty answer", "没有输入答案"),
    "answer_too_long": (
        "answer too long ({n} characters, at most {most})",
        "答案太长（{n} 个字符，最多 {most} 个）",
    ),
    "answer_after_bracket": (
        "unexpected '{char}' after the closing ']'",
        "']' 之后多余的 '{char}'",
    ),
    "answer_missing_number": ("a number is missing here", "这里缺少一个数"),
    "answer_brackets": (
        "a tensor is written in brackets, e.g. [1, 2; 3, 4]",
        "张量要写在方括号里，例如 [1, 2; 3, 4]",
    ),
    "answer_commas": (
        "separate the entries with commas: '{text}'",
        "各个数之间请用逗号隔开：'{text}'",
    ),
    "answer_not_number": ("not a number: '{text}'", "不是一个数：'{text}'"),
    "answer_too_many": ("too many numbers (at most {most})", "数太多（最多 {most} 个）"),
    "answer_too_deep": (
        "brackets nested too deeply (at most {most})",
        "方括号嵌套太深（最多 {most} 层）",
    ),
    "answer_empty_brackets": ("empty brackets", "方括号里没有数"),
    "answer_separator": (
        "unexpected '{char}': write ',' between entries",
        "多余的 '{char}'：各个数之间请用 ','",
    ),
    "answer_mixed": ("numbers and lists mixed in one list", "同一个列表里混有数和列表"),
    "answer_row_one": (
        "row {row} has 1 entry, row 1 has {width}",
        "第 {row} 行有 1 个数，第 1 行有 {width} 个",
    ),
    "answer_row": (
        "row {row} has {n} entries, row 1 has {width}",
        "第 {row} 行有 {n} 个数，第 1 行有 {width} 个",
    ),
    "answer_rows": (
        "';' separates rows of numbers, e.g. [1, 2; 3, 4]",
        "';' 用来分隔数的各行，例如 [1, 2; 3, 4]",
    ),
    "answer_shapes": (
        "rows of different shapes ({a} and {b})",
        "各行形状不同（{a} 和 {b}）",
    ),
}
