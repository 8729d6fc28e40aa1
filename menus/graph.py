"""The menu tree as a Mermaid flowchart (`gateway menus graph`)."""

from __future__ import annotations

from menus.render import localise
from menus.schema import Kind, MenuSet


def mermaid(menus: MenuSet) -> str:
    locale = menus.locales[0]
    lines = ["flowchart TD"]
    for code, service in menus.ussd.items():
        lines.append(f'    ussd_{code}(["*{code}#"]) --> {service.root}')
        for digits, target in service.shortcuts.items():
            lines.append(f'    ussd_{code}_{digits}(["*{code}*{digits}#"]) --> {target}')
    for number in menus.voice.numbers:
        lines.append(f'    voice_{number.strip("+")}(["☎ {number}"]) --> {menus.voice.root}')
    for node in menus.nodes.values():
        label = localise(node.text, locale).split("\n")[0][:40].replace('"', "'")
        shape = f'{{"{label}"}}' if node.kind is Kind.MENU else f'["{label}"]'
        lines.append(f"    {node.id}{shape}")
        for item in node.items:
            lines.append(f"    {node.id} -- {item.key} --> {item.goto}")
        if node.next:
            lines.append(f"    {node.id} --> {node.next}")
    return "\n".join(lines)
