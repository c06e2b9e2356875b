// Quote from the source: a passage selected in the captured text (mouse, or the keyboard with
// caret browsing) becomes the offsets of a new excerpt. The link works without this script:
// it then opens the plain form with the source chosen.
"use strict";
// Loaded in the head by the admin's media: start once the page is there.
const startQuoting = () => {
  const link = document.getElementById("quote-from-source");
  const capture = document.querySelector(".capture-section .capture");
  if (!link || !capture) return;
  const status = document.querySelector(".quote-status");

  // Characters of the capture before (container, offset) in `paragraph`, the boilerplate
  // label (not the article's text) left out.
  const offsetIn = (paragraph, container, offset) => {
    const before = document.createRange();
    before.setStart(paragraph, 0);
    before.setEnd(container, offset);
    // Code points, as the server counts them (an emoji is two UTF-16 units, one character).
    let count = [...before.toString()].length;
    const label = paragraph.querySelector("[data-not-text]");
    if (label) {
      const labelRange = document.createRange();
      labelRange.selectNodeContents(label);
      count = before.compareBoundaryPoints(Range.END_TO_END, labelRange) >= 0
        ? count - [...label.textContent].length : 0;
    }
    return Number(paragraph.dataset.start) + count;
  };

  const idle = (message) => {
    link.href = link.dataset.base;
    link.removeAttribute("data-start");
    status.textContent = message || status.dataset.idle;
  };

  const update = () => {
    const selection = document.getSelection();
    // A click on the link itself collapses the selection first: keep the passage chosen.
    if (!selection.rangeCount || selection.isCollapsed) return undefined;
    const range = selection.getRangeAt(0);
    const element = (node) => (node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement);
    const first = element(range.startContainer).closest("p[data-start]");
    const last = element(range.endContainer).closest("p[data-start]");
    if (!first || !last || !capture.contains(first)) return undefined;
    if (first !== last) return idle(status.dataset.across);
    const text = range.toString();
    const start = offsetIn(first, range.startContainer, range.startOffset)
      + (text.length - text.trimStart().length);
    const end = offsetIn(first, range.endContainer, range.endOffset)
      - (text.length - text.trimEnd().length);
    if (end <= start) return idle();
    link.href = `${link.dataset.base}&start=${start}&end=${end}`;
    link.dataset.start = String(start);
    status.textContent = status.dataset.chosen.replace("{start}", start).replace("{end}", end);
  };

  document.addEventListener("selectionchange", update);
};
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", startQuoting);
} else {
  startQuoting();
}
