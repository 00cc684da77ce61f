'use strict';
// Country lists that filter as one types (common/admin_fields.py). An option is found by its name
// in the reader's language, its English name or its code, whatever the case, the width of the
// characters (ＴＨ, ﾀｲ), accents (Cote finds Côte d'Ivoire) and kana (たい finds タイ).
{
    const $ = django.jQuery;

    function folded(text) {
        return text
            .normalize('NFKD')
            .replace(/[\u0300-\u036f]/g, '')
            .normalize('NFC')
            .toLowerCase()
            .replace(/[\u3041-\u3096]/g, (kana) => String.fromCharCode(kana.charCodeAt(0) + 0x60));
    }

    function matcher(params, data) {
        const term = folded((params.term || '').trim());
        if (!term || !data.id) {
            return term ? null : data;
        }
        const search = data.element ? data.element.dataset.search || '' : '';
        return folded(`${data.text} ${search}`).includes(term) ? data : null;
    }

    $.fn.countrySelect = function() {
        return this.each(function(i, element) {
            $(element).select2({
                matcher: matcher,
                theme: 'admin-autocomplete',
                width: 'resolve',
                allowClear: !element.required && !element.multiple,
                placeholder: element.multiple ? '' : {id: '', text: '---------'}
            });
        });
    };

    $(function() {
        // Not the empty form an inline keeps for "Add another".
        $('select.country-select').not('[name*=__prefix__]').countrySelect();
    });

    document.addEventListener('formset:added', (event) => {
        $(event.target).find('select.country-select').countrySelect();
    });
}
