'use strict';
// The progress of an import that a background worker runs (templates/admin/imports/importbatch/
// _progress.html): asks the batch's status URL every second or two and moves the bars and counts;
// once the run has ended, reloads the page, which then shows the preview, the import or why it
// stopped. Every word shown comes from the page or from the status itself, in the reader's
// language: this file holds none.
{
    const EVERY = 1500; // milliseconds between two questions while all is well
    const MOST = 15000; // the longest wait, after questions that went unanswered

    function shown(count) {
        return count === null || count === undefined
            ? '…'
            : Number(count).toLocaleString(document.documentElement.lang || undefined);
    }

    function update(box, status) {
        const phase = box.querySelector('#import-progress-phase');
        if (phase && status.phase_label) {
            phase.textContent = status.phase_label;
        }
        const waiting = box.querySelector('#import-progress-waiting');
        if (waiting) {
            waiting.hidden = !status.waiting_long;
        }
        for (const count of box.querySelectorAll('[data-count]')) {
            count.textContent = shown(status[count.dataset.count]);
        }
        for (const bar of box.querySelectorAll('progress[data-bar]')) {
            const total = status[bar.dataset.of];
            if (total) {
                bar.max = total;
                bar.value = Math.min(status[bar.dataset.bar] || 0, total);
            } else {
                bar.removeAttribute('value'); // not yet known: the bar says it is busy
            }
        }
    }

    function watch(box) {
        let wait = EVERY;
        const ask = () => {
            fetch(box.dataset.statusUrl, {
                credentials: 'same-origin',
                headers: {Accept: 'application/json'},
                cache: 'no-store',
            })
                .then((response) => {
                    if (!response.ok) {
                        throw new Error(`status ${response.status}`);
                    }
                    return response.json();
                })
                .then((status) => {
                    if (!status.running) {
                        window.location.reload();
                        return;
                    }
                    update(box, status);
                    wait = EVERY;
                    window.setTimeout(ask, wait);
                })
                .catch(() => {
                    // A busy server or a dropped connection: ask again, less often.
                    wait = Math.min(wait * 2, MOST);
                    window.setTimeout(ask, wait);
                });
        };
        window.setTimeout(ask, wait);
    }

    document.addEventListener('DOMContentLoaded', () => {
        const box = document.getElementById('import-progress');
        if (box && box.dataset.statusUrl) {
            watch(box);
        }
    });
}
