// A file input with data-max-bytes refuses a larger file before the form is
// sent: the server would refuse it anyway, after the browser had sent it all.
// Without script the server's answer says the same.
function checkFileSize(input) {
  const limit = Number(input.dataset.maxBytes);
  const file = input.files && input.files[0];
  if (file && limit && file.size > limit) {
    const hint = document.getElementById(input.getAttribute("aria-describedby"));
    const allowed = hint ? hint.textContent.trim() : `At most ${limit} bytes.`;
    input.setCustomValidity(`This file is ${file.size.toLocaleString("en")} bytes, too large. ${allowed}`);
  } else {
    input.setCustomValidity("");
  }
}

document.addEventListener("change", (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || !input.matches("input[type=file][data-max-bytes]")) return;
  checkFileSize(input);
  input.reportValidity();
});
