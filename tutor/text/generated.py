"""The titles and statements of problems the tool writes itself (a random variant, `gen mlp`,
`playground --save`), in English and Chinese."""

from __future__ import annotations

# key -> (English, Chinese); `{name}` fields are filled by `messages.say`
GENERATED: dict[str, tuple[str, str]] = {
    "variant_statement": (
        "A variant of {id} with fresh values (seed {seed}). The same equations: {equations}. "
        "The given values are in the table below.",
        "{id} 的变体（种子 {seed}）。公式相同：{equations}。已知数值见下表。",
    ),
    "linear": ("linear", "线性"),
    "generated_title": (
        "Random {shape} {activation} network, {loss} loss",
        "随机 {shape} {activation} 网络，{loss} 损失",
    ),
    "generated_statement": (
        "A random {shape} network ({hidden} hidden units, {output} outputs) and one input; "
        "run the forward pass, backpropagate and take one SGD step.",
        "随机生成的 {shape} 网络（隐藏层 {hidden}，输出层 {output}）和一个输入；"
        "做前向传播、反向传播，并做一步 SGD。",
    ),
    "learned_title": (
        "The {shape} network learned on {data}, after {steps} steps",
        "在 {data} 上学到的 {shape} 网络（{steps} 步之后）",
    ),
    "learned_statement": (
        "The playground trained this {shape} network on the {data} data for {steps} steps "
        "({optimizer}, batch {batch}). Its weights are what it learned. Take training sample "
        "{sample}{label}, with inputs {features}; run the forward pass, backpropagate and take "
        "one {optimizer} step with this one sample.",
        "playground 在 {data} 数据上训练了这个 {shape} 网络 {steps} 步（{optimizer}，批大小 "
        "{batch}），权重就是学到的值。取训练样本 {sample}{label}，输入为 {features}；"
        "做前向传播、反向传播，并只用这一个样本做一步 {optimizer}。",
    ),
    "learned_class": (" (class {n}, target y = {y})", "（类 {n}，目标 y = {y}）"),
}
