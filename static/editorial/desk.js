// The verifier's desk from the keyboard: a key names an element by its data-key (J next,
// K previous, 1–9 a check, V the Verify button, R the note). Links are followed, checkboxes
// ticked, the rest focused. Keys typed into a field stay there; Escape leaves the field.
"use strict";
document.addEventListener("keydown", (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey || event.isComposing) return;
  const typing = event.target.closest("textarea, select, input:not([type=checkbox]):not([type=radio])");
  if (typing) {
    if (event.key === "Escape") typing.blur();
    return;
  }
  const target = document.querySelector(`[data-key="${CSS.escape(event.key.toLowerCase())}"]`);
  if (!target || target.disabled) return;
  event.preventDefault();
  if (target.matches("a, input[type=checkbox]")) {
    target.click();
    target.focus();
  } else {
    target.focus();
  }
});
